"""A real MQTT broker (mosquitto) for the device fleet: passwords, and an ACL per device.

    broker = start_broker(folder, ["device-00", "device-01"])
    broker.credentials["device-00"]   # the password that device logs in with
    broker.server.stop()

The configuration, password file and ACL are written into ``folder``. Each device may read the
manifest topic and write only its own state topic; the manager (user ``manager``) may publish
manifests and read every state. Two traps of mosquitto 2.0, handled here: with a listener
configured it refuses anonymous clients (we want that: ``allow_anonymous false``), and run as
root it drops to the ``mosquitto`` user and then silently cannot write root-owned folders, so
the configuration names the user we run as.
"""

from __future__ import annotations

import getpass
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from workshop_lib.support import servers

MANIFEST_TOPIC = "fleet/manifest"
STATE_TOPIC = "fleet/state/{device}"
MANAGER = "manager"


class BrokerMissing(RuntimeError):
    """mosquitto is not installed (``.ci/run`` and Binder's ``apt.txt`` install it)."""


@dataclass
class Broker:
    """A running mosquitto: where it listens and the password of every user."""

    server: servers.BackgroundServer
    credentials: dict[str, str]

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    def stop(self) -> int | None:
        return self.server.stop()


def acl_text(devices: list[str]) -> str:
    """One block per user: the manager publishes manifests, each device only its own state."""
    blocks = [f"user {MANAGER}\ntopic write {MANIFEST_TOPIC}\ntopic read fleet/state/+\n"]
    blocks += [
        f"user {device}\ntopic read {MANIFEST_TOPIC}\n"
        f"topic write {STATE_TOPIC.format(device=device)}\n"
        for device in devices
    ]
    return "\n".join(blocks)


def write_password_file(path: Path, credentials: dict[str, str]) -> None:
    """Plain ``user:password`` lines, then hashed in place by ``mosquitto_passwd -U``."""
    path.write_text("".join(f"{user}:{password}\n" for user, password in credentials.items()))
    path.chmod(0o600)
    subprocess.run(["mosquitto_passwd", "-U", str(path)], check=True, capture_output=True)


def start_broker(folder: Path | str, devices: list[str], timeout: float = 20.0) -> Broker:
    """Start mosquitto on a free loopback port with a password and an ACL line for each device."""
    mosquitto = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if mosquitto is None or shutil.which("mosquitto_passwd") is None:
        raise BrokerMissing("mosquitto is not installed: apt-get install mosquitto")
    bad = [d for d in devices if not d.replace("-", "").replace("_", "").isalnum()]
    if bad or MANAGER in devices:
        raise ValueError(f"device names must be letters, digits, - or _ (not 'manager'): {bad}")
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    credentials = {user: secrets.token_urlsafe(12) for user in [MANAGER, *devices]}
    write_password_file(folder / "passwords", credentials)
    (folder / "acl").write_text(acl_text(devices))
    port = servers.free_port()
    config = folder / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\n"
        "allow_anonymous false\n"
        f"password_file {folder / 'passwords'}\n"
        f"acl_file {folder / 'acl'}\n"
        f"user {getpass.getuser()}\n"
        "persistence false\n"
        "log_dest stdout\n"
        "log_type error\nlog_type warning\nlog_type notice\n"
    )
    server = servers.start_server(
        [mosquitto, "-c", str(config)],
        name="mosquitto",
        health_path=None,
        port=port,
        timeout=timeout,
    )
    return Broker(server, credentials)
