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
