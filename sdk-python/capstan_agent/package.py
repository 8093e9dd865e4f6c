"""Which Capsule Package this service runs (catalog.md: ``manifest.package = {name, version, digest?}``),
read once from the ``package`` option or the host's capsule.json. Anything wrong is one warning and no
package reported, never an exception into the host (the Node SDK's package.ts)."""
import json
import os
import re
from typing import Any, Dict, Optional

from .logger import SafeLogger

# A descriptor is small (readme <= 64 KiB, lists <= 200 entries): a bigger file is not one.
MAX_BYTES = 1024 * 1024
# the server's PACKAGE_NAME (src/schemas/packageDescriptor.ts): scope/name, each part [a-z0-9][a-z0-9._-]*
NAME = re.compile(r"^(?=.{1,100}\Z)[a-z0-9][a-z0-9._-]*(?:/[a-z0-9][a-z0-9._-]*)?\Z")
# SemVer 2.0.0 (semver.org's regular expression, without the named groups)
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
                    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z", re.ASCII)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}\Z")


def read_package(option: Any, capsule_file: Optional[str], log: SafeLogger) -> Optional[Dict[str, str]]:
    """``option``: None (read the file), False (no package) or ``{name, version, digest?}``."""
    if option is False:
        return None
    if option is not None:
        return _checked(option if isinstance(option, dict) else {}, "the package option", log)
    path = os.path.abspath(capsule_file or "capsule.json")
    try:
        if os.path.getsize(path) > MAX_BYTES:
            log.warn("capsule.json is larger than 1 MiB; no package reported", {"file": path})
            return None
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        # no capsule.json where none was asked for is the normal case of a service without a package
        if capsule_file is not None:
            log.warn("capsule.json unreadable; no package reported", {"file": path, "error": "not found"})
        return None
    except (OSError, ValueError) as err:
        log.warn("capsule.json unreadable or not JSON; no package reported", {"file": path, "error": str(err)})
        return None
    d = doc if isinstance(doc, dict) else {}
    artifact = d.get("artifact") if isinstance(d.get("artifact"), dict) else {}
    return _checked({"name": d.get("name"), "version": d.get("version"), "digest": artifact.get("digest")}, path, log)


def _checked(p: Dict[str, Any], where: str, log: SafeLogger) -> Optional[Dict[str, str]]:
    name, version, digest = p.get("name"), p.get("version"), p.get("digest")
    if (not isinstance(name, str) or not NAME.match(name) or not isinstance(version, str) or len(version) > 64
            or not SEMVER.match(version) or (digest is not None and (not isinstance(digest, str) or not DIGEST.match(digest)))):
        log.warn(f"{where}: needs a package name (lowercase scope/name), a SemVer version and an optional "
                    "sha256:<hex> digest; no package reported")
        return None
    out = {"name": name, "version": version}
    if isinstance(digest, str):
        out["digest"] = digest
    return out
