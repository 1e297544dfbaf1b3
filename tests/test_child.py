from curation.child import ChildPool


def test_a_hanging_item_is_killed_and_the_rest_still_run():
    pool = ChildPool("tests.child_fixtures", None)
    try:
        out = pool.map(["a", "hang", "b"], timeout_s=1.0)
        assert out[0] == ("ok", "A")
        assert out[1][0] == "timeout"
        assert out[2] == ("ok", "B")
        assert pool.restarts == 1
    finally:
        pool.stop()


def test_the_limit_counts_cpu_time_so_a_slow_wall_clock_alone_is_no_timeout():
    pool = ChildPool("tests.child_fixtures", None)
    try:
        out = pool.map(["nap", "e"], timeout_s=1.0)  # 1.5 s of wall time, almost no CPU time
        assert out == [("ok", "NAP"), ("ok", "E")]
        assert pool.restarts == 0
    finally:
        pool.stop()


def test_a_dying_child_is_reported_and_replaced():
    pool = ChildPool("tests.child_fixtures", None)
    try:
        out = pool.map(["die", "c"], timeout_s=10.0)
        assert out[0][0] == "crash" and "exit code 3" in out[0][1]
        assert out[1] == ("ok", "C")
    finally:
        pool.stop()


def test_exceptions_and_memory_limit_are_per_item_errors():
    pool = ChildPool("tests.child_fixtures", None, memory_limit_mb=1024)
    try:
        out = pool.map(["raise", "hog", "d"], timeout_s=60.0)
        assert out[0] == ("error", "ValueError: bad item")
        assert out[1] == ("error", "MemoryError")
        assert out[2] == ("ok", "D")
        assert pool.restarts == 1  # a child that ran out of memory is replaced
    finally:
        pool.stop()
