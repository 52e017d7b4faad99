import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

pytestmark = pytest.mark.django_db


@pytest.fixture
def media_file(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    name = default_storage.save("courses/demo/abc/clip.webm", ContentFile(bytes(range(256)) * 4))
    return "/media/" + name


def read(response) -> bytes:
    return b"".join(response.streaming_content)


def test_serves_the_whole_file_with_its_type(client, media_file):
    response = client.get(media_file)
    assert response.status_code == 200
    assert response["Content-Type"] == "video/webm"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == "1024"
    assert read(response) == bytes(range(256)) * 4


def test_serves_a_byte_range_for_seeking(client, media_file):
    response = client.get(media_file, headers={"Range": "bytes=10-19"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 10-19/1024"
    assert read(response) == bytes(range(10, 20))


def test_serves_an_open_ended_and_a_suffix_range(client, media_file):
    assert read(client.get(media_file, headers={"Range": "bytes=1020-"})) == bytes(range(252, 256))
    assert read(client.get(media_file, headers={"Range": "bytes=-2"})) == bytes([254, 255])


def test_refuses_an_unsatisfiable_range(client, media_file):
    response = client.get(media_file, headers={"Range": "bytes=5000-"})
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */1024"


def test_missing_files_and_paths_outside_media_are_not_found(client, media_file):
    assert client.get("/media/courses/demo/nothing.webm").status_code == 404
    assert client.get("/media/../settings.py").status_code in {400, 404}
    assert client.get("/media/%2e%2e/%2e%2e/etc/passwd").status_code in {400, 404}


def test_only_reads_are_allowed(client, media_file):
    assert client.post(media_file).status_code == 405


# Range headers come straight from the client. Python refuses to convert a string of more than
# 4,300 digits to an int (ValueError), so absurd positions must be judged without converting
# them: every answer below is a clean 206, 200 or 416, never a server error.
THOUSANDS_OF_DIGITS = "9" * 5000


def test_a_start_of_thousands_of_digits_is_unsatisfiable(client, media_file):
    for header in (
        f"bytes={THOUSANDS_OF_DIGITS}-",
        f"bytes={THOUSANDS_OF_DIGITS}-{THOUSANDS_OF_DIGITS}",
    ):
        response = client.get(media_file, headers={"Range": header})
        assert response.status_code == 416
        assert response["Content-Range"] == "bytes */1024"


def test_an_end_of_thousands_of_digits_runs_to_the_end_of_the_file(client, media_file):
    response = client.get(media_file, headers={"Range": f"bytes=1020-{THOUSANDS_OF_DIGITS}"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 1020-1023/1024"
    assert read(response) == bytes(range(252, 256))


def test_a_suffix_of_thousands_of_digits_is_the_whole_file(client, media_file):
    response = client.get(media_file, headers={"Range": f"bytes=-{THOUSANDS_OF_DIGITS}"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 0-1023/1024"
    assert read(response) == bytes(range(256)) * 4


def test_leading_zeros_do_not_change_a_position(client, media_file):
    zeros = "0" * 5000
    response = client.get(media_file, headers={"Range": f"bytes={zeros}10-{zeros}19"})
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 10-19/1024"
    assert read(response) == bytes(range(10, 20))


def test_a_start_beyond_the_file_is_unsatisfiable(client, media_file):
    for header in ("bytes=1024-", "bytes=2000-3000", "bytes=-0"):
        response = client.get(media_file, headers={"Range": header})
        assert response.status_code == 416, header
        assert response["Content-Range"] == "bytes */1024"


def test_a_header_that_is_not_one_valid_range_gets_the_whole_file(client, media_file):
    # Several ranges would need a multipart/byteranges answer; the whole file is also correct.
    # A last byte before the first makes a range invalid (RFC 9110 section 14.1.1), however long.
    backwards = ("bytes=19-10", f"bytes={THOUSANDS_OF_DIGITS}-10")
    for header in ("bytes=0-1,5-6", *backwards, "bytes=-", "bytes=1.5-2", "items=0-1"):
        response = client.get(media_file, headers={"Range": header})
        assert response.status_code == 200, header
        assert "Content-Range" not in response
        assert read(response) == bytes(range(256)) * 4
