"""Marco-LLM's two-stage continual pretraining on megatron-core, launched as a Ray job.

``config`` (what a run is), ``args`` (its Megatron arguments per stage), ``pretrain_gpt`` (the
script torchrun runs on each GPU node), ``ray_runner`` (placement group, one torchrun per node).
"""
