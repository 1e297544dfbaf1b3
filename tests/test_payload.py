import gzip
import zlib

import brotli
import pytest

from curation.io.payload import PayloadError, decode_content_encoding, decode_text

HTML = "<html><head><meta charset='utf-8'></head><body><p>Grüße aus Zürich — 你好</p></body></html>"


@pytest.mark.parametrize("encoding,compress", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
    ("br", brotli.compress),
])
def test_content_encodings_are_undone(encoding, compress):
    raw = HTML.encode()
    assert decode_content_encoding(compress(raw), encoding, 1_000_000) == raw


def test_gzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(b"\0" * 50_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(PayloadError) as err:
        decode_content_encoding(bomb, "gzip", 1_000_000)
    assert err.value.reason == "payload_too_large"


def test_brotli_bomb_stops_at_the_cap():
    with pytest.raises(PayloadError) as err:
        decode_content_encoding(brotli.compress(b"a" * 20_000_000), "br", 1_000_000)
    assert err.value.reason == "payload_too_large"


def test_header_that_claims_gzip_over_plain_bytes_keeps_the_bytes():
    assert decode_content_encoding(HTML.encode(), "gzip", 1_000_000) == HTML.encode()


def test_corrupt_gzip_is_a_reasoned_error():
    with pytest.raises(PayloadError) as err:
        decode_content_encoding(b"\x1f\x8b\x08\x00garbage-garbage", "gzip", 1_000_000)
    assert err.value.reason == "content_encoding_error"


def test_unknown_encoding_is_a_reasoned_error():
    with pytest.raises(PayloadError) as err:
        decode_content_encoding(b"abc", "compress", 1_000_000)
    assert err.value.reason == "unsupported_content_encoding"


def test_http_charset_wins_over_meta():
    body = "<meta charset='utf-8'><p>Ceština: příliš žluťoučký kůň</p>".encode("cp1250")
    text, codec, source = decode_text(body, "text/html; charset=windows-1250")
    assert "příliš žluťoučký kůň" in text
    assert (codec, source) == ("cp1250", "header")


def test_meta_charset_used_when_header_has_none():
    body = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">' \
           "</head><body>日本語のページです</body></html>"
    text, codec, source = decode_text(body.encode("shift_jis"), "text/html")
    assert "日本語のページです" in text
    assert source == "meta" and codec == "cp932"


def test_lying_header_charset_falls_through_to_the_truth():
    body = "<p>Привет, мир — это проверка кодировки</p>".encode()
    # ASCII cannot decode these bytes (the WHATWG map makes it cp1252, which can't either for all
    # bytes of Cyrillic UTF-8); the decoder must not produce mojibake from the lie.
    text, codec, source = decode_text(body, "text/html; charset=shift_jis")
    assert "Привет, мир" in text
    assert source in ("meta", "detected")


def test_undeclared_legacy_charset_is_detected():
    body = ("<html><body><p>" + "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 20
            + "</p></body></html>").encode("cp1251")
    text, codec, source = decode_text(body, "text/html")
    assert source == "detected"
    assert "мягких французских булок" in text


def test_utf8_bom_is_honoured():
    text, codec, source = decode_text(b"\xef\xbb\xbf<p>caf\xc3\xa9</p>", "text/html; charset=iso-8859-1")
    assert text == "<p>café</p>" and source == "bom"
