"""Print the sandbox daemon's seccomp profile: Docker's default profile (the JSON file given,
which Debian ships for the installed dockerd) with the io_uring system calls denied.

io_uring is a large, young kernel surface with a record of privilege escalations; Docker
20.10's default profile allows it (Docker 25 and later block it). Nothing a lab needs uses it.
Usage: python3 sandbox/seccomp.py /path/to/default.json > profile.json
"""

import json
import sys

DENIED = ("io_uring_setup", "io_uring_enter", "io_uring_register")


def derive(profile: dict) -> dict:
    if "syscalls" not in profile or "defaultAction" not in profile:
        raise ValueError("not a Docker seccomp profile (no syscalls or defaultAction)")
    kept = []
    for rule in profile["syscalls"]:
        names = [name for name in rule.get("names", []) if name not in DENIED]
        if names:
            kept.append({**rule, "names": names})
    # An explicit rule as well, in case the default action is ever an allow.
    kept.append({"names": list(DENIED), "action": "SCMP_ACT_ERRNO", "errnoRet": 1})
    return {**profile, "syscalls": kept}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        json.dump(derive(json.load(handle)), sys.stdout, indent=1)
    sys.stdout.write("\n")
