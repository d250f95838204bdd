"""Drives `chimera serve` with QEMU's own Python QMP client (qemu.qmp).

Builds a shipped profile command by command from nothing (no description
is sent: every space, cluster, memory, device, line and image goes through
its own command), realizes it, resets and runs it, stops and continues it
while watching the CPUs and the events, waits for the guest to shut down,
then quits. The machine's console output is `chimera serve`'s own stdout,
which the caller compares with that of `chimera run`.

Usage: build_and_run.py SOCKET PROFILE_TOML
"""

import asyncio
import os
import sys
import tomllib

from qemu.qmp import QMPClient

RESERVED = {"id", "type", "space", "base", "priority", "map"}


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


async def expect_event(qmp, name, timeout=20.0):
    async def wait():
        async for event in qmp.events:
            if event["event"] == name:
                return event

    try:
        return await asyncio.wait_for(wait(), timeout)
    except asyncio.TimeoutError:
        fail(f"no {name} event within {timeout}s")


async def build(qmp, description, base_dir):
    name = description.get("machine", {}).get("name", "machine")
    await qmp.execute("x-machine-create", {"name": name})
    for space in description.get("space", []):
        await qmp.execute("object-add", {"qom-type": "address-space", "id": space["id"]})
    for section in ("cluster", "memory", "device"):
        for obj in description.get(section, []):
            args = {"qom-type": obj["type"], "id": obj["id"]}
            for key in ("space", "base", "priority", "map"):
                if key in obj:
                    args[key] = obj[key]
            args["props"] = {k: v for k, v in obj.items() if k not in RESERVED}
            await qmp.execute("object-add", args)
    for line in description.get("line", []):
        await qmp.execute("x-machine-connect", {"from": line["from"], "to": line["to"]})
    for image in description.get("image", []):
        args = {
            "cluster": image["cluster"],
            "path": os.path.normpath(os.path.join(base_dir, image["path"])),
        }
        if "addr" in image:
            args["addr"] = image["addr"]
        await qmp.execute("x-machine-load-image", args)


async def main(socket_path, profile_path):
    with open(profile_path, "rb") as f:
        description = tomllib.load(f)
    qmp = QMPClient("chimera-test")
    await qmp.connect(socket_path)

    status = await qmp.execute("query-status")
    if status["status"] != "prelaunch":
        fail(f"expected prelaunch before any machine, got {status}")
    version = await qmp.execute("query-version")
    if not version["package"].startswith("chimera"):
        fail(f"unexpected version {version}")

    await build(qmp, description, os.path.dirname(profile_path))
    await qmp.execute("x-machine-realize")

    cpus = await qmp.execute("query-cpus-fast")
    declared = [c["id"] for c in description.get("cluster", [])]
    seen = sorted({c["cluster"] for c in cpus})
    if seen != sorted(declared):
        fail(f"CPUs of clusters {seen}, expected {declared}")
    for cpu in cpus:
        if not cpu["arch"]:
            fail(f"CPU without architecture: {cpu}")
    print(f"cpus: {[(c['cluster'], c['arch'], hex(c['pc'])) for c in cpus]}", file=sys.stderr)

    await qmp.execute("system_reset")
    await expect_event(qmp, "RESET")

    # The guest may finish before `stop` arrives: both orders are valid
    # runs, and both must end in the guest's own shutdown.
    await qmp.execute("cont")
    await expect_event(qmp, "RESUME")
    await qmp.execute("stop")
    status = await qmp.execute("query-status")
    stopped = await qmp.execute("query-cpus-fast")
    if status["status"] == "paused":
        await expect_event(qmp, "STOP")
        regs = await qmp.execute("human-monitor-command", {"command-line": "info registers"})
        if "CPU#0" not in regs:
            fail("info registers shows no CPU")
        await qmp.execute("cont")
        await expect_event(qmp, "RESUME")
        shutdown = await expect_event(qmp, "SHUTDOWN", timeout=60.0)
    elif status["status"] == "shutdown":
        shutdown = await expect_event(qmp, "SHUTDOWN", timeout=5.0)
        print("the guest finished before the stop arrived", file=sys.stderr)
    else:
        fail(f"unexpected state after stop: {status}")
    if not shutdown["data"]["guest"]:
        fail(f"shutdown not by the guest: {shutdown}")
    final = await qmp.execute("query-cpus-fast")
    for before, after in zip(stopped, final):
        if after["instructions"] < before["instructions"]:
            fail("instruction counts went backwards")
    status = await qmp.execute("query-status")
    if status["status"] != "shutdown":
        fail(f"expected shutdown, got {status}")
    await qmp.execute("quit")
    try:
        await qmp.disconnect()
    except EOFError:
        # The server ends after answering `quit`, as QEMU does: it may be
        # gone before the client hangs up (QEMU's own machine.py allows
        # for the same).
        pass
    print("qmp client: ok", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
