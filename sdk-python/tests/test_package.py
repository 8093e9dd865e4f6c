"""manifest.package (catalog.md): read once from the host's capsule.json (default ./capsule.json) or the
``package`` option; a bad or missing file is one warning and no package, never an exception. The last
test reports through the real server."""
import json
import os
import tempfile
import time
import unittest
from typing import Any

from capstan_agent.logger import SafeLogger
from capstan_agent.package import read_package

from .kit import admin, capture_logger, needs_server, registration_token, token_file
from .test_agent import make_agent

DIGEST = "sha256:" + "ab" * 32


def write(dir_: str, name: str, content: Any) -> str:
    path = os.path.join(dir_, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(content if isinstance(content, str) else json.dumps(content))
    return path


class Package(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp()
        self.logger, self.cap = capture_logger()
        self.log = SafeLogger(self.logger, lambda: [])

    def warnings(self) -> int:
        return sum(1 for line in self.cap.lines if line.startswith("WARNING"))

    def test_default_file_in_the_working_directory_option_and_false(self) -> None:
        write(self.dir, "capsule.json", {"name": "acme/invoice-ocr", "version": "1.4.2-rc.1", "artifact": {"kind": "oci", "ref": "x", "digest": DIGEST}})
        cwd = os.getcwd()
        os.chdir(self.dir)
        try:
            self.assertEqual(read_package(None, None, self.log), {"name": "acme/invoice-ocr", "version": "1.4.2-rc.1", "digest": DIGEST})
        finally:
            os.chdir(cwd)
        self.assertEqual(read_package({"name": "acme/other", "version": "2.0.0"}, None, self.log), {"name": "acme/other", "version": "2.0.0"})
        self.assertIsNone(read_package(False, os.path.join(self.dir, "capsule.json"), self.log))

    def test_no_capsule_json_at_the_default_path_is_silent(self) -> None:
        cwd = os.getcwd()
        os.chdir(self.dir)
        try:
            self.assertIsNone(read_package(None, None, self.log))
        finally:
            os.chdir(cwd)
        self.assertEqual(self.warnings(), 0)

    def test_bad_input_is_one_warning_and_no_package(self) -> None:
        cases = {
            "broken.json": "{ not json", "array.json": "[1, 2]", "badversion.json": {"name": "acme/x", "version": "1.2"},
            "badname.json": {"name": "Acme X", "version": "1.0.0"}, "deepname.json": {"name": "acme/x/y", "version": "1.0.0"}, "baddigest.json": {"name": "acme/x", "version": "1.0.0", "artifact": {"digest": "md5:1"}},
            "huge.json": {"name": "acme/x", "version": "1.0.0", "readme": "x" * (1024 * 1024)}, "latin1.json": b"\xff\xfe",
        }
        for name, content in cases.items():
            path = os.path.join(self.dir, name)
            if isinstance(content, bytes):
                with open(path, "wb") as fh:
                    fh.write(content)
            else:
                write(self.dir, name, content)
            before = self.warnings()
            self.assertIsNone(read_package(None, path, self.log), name)
            self.assertEqual(self.warnings() - before, 1, f"{name}: one warning")
        before = self.warnings()
        self.assertIsNone(read_package(None, os.path.join(self.dir, "missing.json"), self.log), "an explicit missing file")
        self.assertIsNone(read_package({"name": "acme/x", "version": "latest"}, None, self.log), "a bad option")
        self.assertIsNone(read_package("acme/x@1.0.0", None, self.log), "an option that is not an object")
        self.assertEqual(self.warnings() - before, 3)


@needs_server
class Reported(unittest.TestCase):
    def test_the_server_sees_manifest_package_and_a_bad_file_warns_once(self) -> None:
        dir_ = tempfile.mkdtemp()
        good = write(dir_, "capsule.json", {"name": "acme/py-ocr", "version": "0.3.0", "artifact": {"kind": "oci", "ref": "x", "digest": DIGEST}})
        agent = make_agent("py-package", registration_token=registration_token(), token_file=token_file(), capsule_file=good)
        agent.start(wait=10)
        try:
            status, env = admin("GET", f"/api/admin/capsule-services/{agent.service_id}/manifest")
            self.assertEqual(status, 200)
            self.assertEqual(env["data"]["package"], {"name": "acme/py-ocr", "version": "0.3.0", "digest": DIGEST})
        finally:
            agent.stop(timeout=5)
        log, cap = capture_logger()
        bad = make_agent("py-package-bad", registration_token=registration_token(), token_file=token_file(),
                         capsule_file=write(dir_, "bad.json", "{"), logger=log)
        bad.start(wait=10)
        try:
            self.assertEqual(bad.state, "running")
            bad.refresh()
            time.sleep(0.3)  # the second report reads no file again
            status, env = admin("GET", f"/api/admin/capsule-services/{bad.service_id}/manifest")
            self.assertNotIn("package", env["data"])
        finally:
            bad.stop(timeout=5)
        self.assertEqual(sum(1 for line in cap.lines if line.startswith("WARNING") and "capsule.json" in line), 1)

