//! The heterogeneous demo (`hetero-demo`): an RV64 application core and a
//! Cortex-M4F microcontroller in one machine, each with its own address
//! space, talking through a mailbox and shared SRAM; in deterministic and
//! in parallel mode, and the machine's structure as `chimera tree` shows it.

use std::path::Path;
use std::sync::Arc;

use chimera_devices::BufferBackend;
use chimera_engine::{ExitRequest, RunLimits, RunOutcome};
use chimera_machine::profiles::profile;
use chimera_machine::{
    builtin_registry, load_profile, Description, Machine, SerialConfig, SerialSpec, Source,
};
use chimera_memory::{AccessKind, AddressSpace, Endian, MmioCtx};

/// Where the shared SRAM sits on each side, and its size.
const APP_SHARED: u64 = 0x9000_0000;
const MCU_SHARED: u64 = 0x2800_0000;
const SHARED_SIZE: u64 = 0x1_0000;
/// The mailbox's window on each side.
const APP_MBOX: u64 = 0x3000_0000;
const MCU_MBOX: u64 = 0x4001_0000;
/// The private word both guests use, at the same address on both sides.
const PRIVATE_WORD: u64 = 0x800f_fff0;

struct Run {
    outcome: RunOutcome,
    app: String,
    mcu: String,
    insns: Vec<(String, u64)>,
    machine: Machine,
}

fn build(serial: &SerialConfig) -> Machine {
    load_profile("hetero-demo", builtin_registry())
        .expect("profile loads")
        .realize(serial)
        .expect("machine builds")
}

fn run(parallel: bool) -> Run {
    let (app, mcu) = (BufferBackend::new(), BufferBackend::new());
    let mut serial = SerialConfig::default();
    serial.set("app/uart0", SerialSpec::Buffer(app.clone()));
    serial.set("mcu/uart0", SerialSpec::Buffer(mcu.clone()));
    let mut machine = build(&serial);
    machine.scheduler_mut().set_parallel(parallel);
    let outcome = machine.run(RunLimits {
        max_insns: Some(20_000_000),
        max_ns: None,
        held: false,
    });
    Run {
        outcome,
        app: String::from_utf8_lossy(&app.contents()).into_owned(),
        mcu: String::from_utf8_lossy(&mcu.contents()).into_owned(),
        insns: machine
            .scheduler()
            .clusters()
            .iter()
            .map(|c| (c.name().to_string(), c.insns()))
            .collect(),
        machine,
    }
}

fn expected_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/hetero/expected.out");
    std::fs::read_to_string(path).expect("expected output")
}

/// The lines of `expected.out` from one UART, labels removed.
fn expected(uart: &str) -> String {
    let label = format!("[{uart}] ");
    expected_text()
        .lines()
        .filter_map(|l| l.strip_prefix(&label))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn ctx() -> MmioCtx {
    MmioCtx {
        now_ns: 0,
        initiator: u32::MAX,
    }
}

fn space<'m>(m: &'m Machine, id: &str) -> &'m Arc<AddressSpace> {
    m.spaces()
        .get(id)
        .unwrap_or_else(|| panic!("no address space `{id}`"))
}

fn read32(s: &AddressSpace, addr: u64) -> u32 {
    s.read(&ctx(), addr, 4, Endian::Little, AccessKind::Read)
        .unwrap_or_else(|e| panic!("read at {addr:#x}: {e:?}")) as u32
}

fn write32(s: &AddressSpace, addr: u64, value: u32) {
    s.write(&ctx(), addr, 4, Endian::Little, u64::from(value))
        .unwrap_or_else(|e| panic!("write at {addr:#x}: {e:?}"));
}

fn check(r: &Run) {
    assert_eq!(
        r.outcome,
        RunOutcome::Exit(ExitRequest::Exit(0)),
        "{}{}",
        r.app,
        r.mcu
    );
    assert_eq!(r.app, expected("app/uart0"));
    assert_eq!(r.mcu, expected("mcu/uart0"));
    assert!(r.app.contains("all 10 answers verified"), "{}", r.app);
    assert!(
        r.mcu.contains("served 10 (5 crc-32, 5 filter)"),
        "{}",
        r.mcu
    );
    // The job table the application core wrote at its address holds the
    // answers the microcontroller wrote at its own: one memory.
    let (app, mcu) = (space(&r.machine, "app-bus"), space(&r.machine, "mcu-bus"));
    assert_eq!(read32(app, APP_SHARED), 0x4845_5452, "the shared magic");
    for job in 0..10 {
        let result = 0x40 + 32 * job + 28;
        assert_eq!(
            read32(app, APP_SHARED + result),
            read32(mcu, MCU_SHARED + result)
        );
    }
    // Each guest's private word, at the same address, kept apart.
    assert_eq!(read32(app, PRIVATE_WORD), 0x4150_5021, "APP!");
    assert_eq!(read32(mcu, PRIVATE_WORD), 0x4d43_5521, "MCU!");
}

#[test]
fn the_demo_passes_in_deterministic_mode() {
    check(&run(false));
}

#[test]
fn the_demo_passes_in_parallel_mode() {
    check(&run(true));
}

#[test]
fn default_mode_repeats_to_the_instruction() {
    let (a, b) = (run(false), run(false));
    assert_eq!((&a.app, &a.mcu), (&b.app, &b.mcu));
    assert_eq!(a.insns, b.insns);
    let names: Vec<&str> = a.insns.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["app", "mcu"]);
    assert!(a.insns.iter().all(|(_, n)| *n > 0), "{:?}", a.insns);
}

/// The combined output of a default-mode run, labelled by UART as
/// `chimera run` prints it, is `expected.out`, line for line: the same
/// lines and, per UART, in the same order.
#[test]
fn expected_out_holds_both_consoles() {
    let text = expected_text();
    assert!(text
        .lines()
        .all(|l| l.starts_with("[app/uart0] ") || l.starts_with("[mcu/uart0] ")));
    assert!(text.contains("[mcu/uart0] mcu: Cortex-M4 up"));
    assert!(
        text.ends_with("[app/uart0] app: microcontroller back in reset; all 10 answers verified\n")
    );
}

#[test]
fn the_tree_shows_both_clusters_with_their_address_spaces() {
    let m = build(&SerialConfig::default());
    // What `chimera tree hetero-demo` prints: the objects, then the map of
    // every address space.
    let tree = m.tree().render();
    for object in [
        "app (riscv64) [realized]",
        "mcu (cortex-m4) [realized]",
        "app-bus (address-space) [realized]",
        "mcu-bus (address-space) [realized]",
        "mailbox (mailbox) [realized]",
        "shared (ram) [realized]",
        "plic (riscv-plic) [realized]",
        "uart0 (ns16550a) [realized]",
        "uart0 (cmsdk-apb-uart) [realized]",
        "mcu-reset (reset-controller) [realized]",
    ] {
        assert!(tree.contains(object), "`{object}` missing from\n{tree}");
    }
    let mtree = m.render_mtree();
    let section = |id: &str| -> String {
        let head = format!("address-space: {id}\n");
        let start = mtree.find(&head).unwrap_or_else(|| panic!("{mtree}")) + head.len();
        let rest = &mtree[start..];
        rest[..rest.find("\n\n").unwrap_or(rest.len())].to_string()
    };
    let (app, mcu) = (section("app-bus"), section("mcu-bus"));
    for entry in [
        "0000000080000000-0000000080ffffff (prio 0, ram): app-ram",
        "0000000090000000-000000009000ffff (prio 0, ram): shared",
        "0000000030000000-00000000300001ff (prio 0, mmio): mailbox",
        "000000000c000000-000000000c201fff (prio 0, mmio): app/plic",
        "0000000002000000-000000000200ffff (prio 0, mmio): app/clint",
        "0000000010000000-00000000100000ff (prio 0, mmio): app/uart0",
        "0000000000100000-0000000000100fff (prio 0, mmio): finisher",
        "0000000030010000-0000000030010fff (prio 0, mmio): mcu-reset",
    ] {
        assert!(
            app.contains(entry),
            "`{entry}` missing from app-bus:\n{app}"
        );
    }
    for entry in [
        "0000000000000000-00000000003fffff (prio 0, rom): mcu-flash",
        "0000000020000000-00000000203fffff (prio 0, ram): mcu-sram",
        "0000000028000000-000000002800ffff (prio 0, ram): shared",
        "0000000040004000-0000000040004fff (prio 0, mmio): mcu/uart0",
        "0000000040010000-00000000400101ff (prio 0, mmio): mailbox",
        "0000000080000000-00000000800fffff (prio 0, ram): mcu-xram",
    ] {
        assert!(
            mcu.contains(entry),
            "`{entry}` missing from mcu-bus:\n{mcu}"
        );
    }
    // Neither side sees the other's private memories or devices.
    assert!(!app.contains("mcu-xram") && !app.contains("mcu-sram") && !app.contains("mcu/uart0"));
    assert!(!mcu.contains("app-ram") && !mcu.contains("app/") && !mcu.contains("finisher"));

    // Each cluster runs its own architecture on its own address space.
    let clusters = m.scheduler().clusters();
    assert_eq!(clusters.len(), 2);
    for (cluster, bus) in [("app", "app-bus"), ("mcu", "mcu-bus")] {
        let c = clusters
            .iter()
            .find(|c| c.name() == cluster)
            .expect("cluster");
        assert!(
            Arc::ptr_eq(c.space(), space(&m, bus)),
            "{cluster} runs on {bus}"
        );
        assert_eq!(c.cpus().len(), 1);
    }
    assert_ne!(
        clusters[0].arch(),
        clusters[1].arch(),
        "two architectures in one machine"
    );
}

/// The index of pin `name[index]` among a cluster's CPU input pins.
fn cpu_pin(
    m: &Machine,
    cluster: &str,
    name: &str,
    index: u32,
) -> (Arc<chimera_engine::IrqInputs>, u32) {
    let c = m
        .scheduler()
        .clusters()
        .iter()
        .find(|c| c.name() == cluster)
        .expect("cluster");
    let mut base = 0;
    for pin in c.irq_pins() {
        if pin.name == name {
            assert!(index < pin.count);
            return (c.irq_inputs(0).expect("cpu0"), base + index);
        }
        base += pin.count;
    }
    panic!("{cluster} has no pin {name}");
}

#[test]
fn the_mailbox_lines_reach_both_interrupt_controllers() {
    // As declared: channel c to PLIC source 1 + c on the application side
    // and to NVIC input 16 + c on the microcontroller side.
    let p = profile("hetero-demo").expect("shipped");
    let d = Description::parse(Source::new("profile:hetero-demo", p.text)).expect("parses");
    let lines: Vec<(String, String)> = d
        .lines
        .iter()
        .map(|l| (l.from.value.clone(), l.to.value.clone()))
        .collect();
    for c in 0..3 {
        for (from, to) in [
            (
                format!("mailbox.irq-a[{c}]"),
                format!("app/plic.source[{}]", 1 + c),
            ),
            (
                format!("mailbox.irq-b[{c}]"),
                format!("mcu/cpu0.irq[{}]", 16 + c),
            ),
        ] {
            assert!(
                lines.contains(&(from.clone(), to.clone())),
                "{from} -> {to}"
            );
        }
    }
    assert!(lines.contains(&("app/plic.meip[*]".into(), "app/cpu*.meip".into())));
    assert!(lines.contains(&("mcu-reset.reset[0]".into(), "mcu/cpu0.reset".into())));

    // And as built: a doorbell rung through one side's window raises the
    // other side's interrupt input.
    let m = build(&SerialConfig::default());
    let (app, mcu) = (space(&m, "app-bus"), space(&m, "mcu-bus"));
    let (nvic, irq17) = cpu_pin(&m, "mcu", "irq", 17);
    assert!(!nvic.level(irq17));
    write32(app, APP_MBOX + 0x10 + 0x8, 1); // channel 1 doorbell, side A
    assert!(
        nvic.level(irq17),
        "side B's channel 1 line is NVIC input 17"
    );
    assert_eq!(read32(mcu, MCU_MBOX + 0x100), 1 << 1, "pending on side B");
    write32(mcu, MCU_MBOX + 0x10 + 0xc, 1); // side B acknowledges
    assert!(!nvic.level(irq17));

    const PLIC_PENDING: u64 = 0x0c00_1000;
    assert_eq!(read32(app, PLIC_PENDING) & (1 << 3), 0);
    write32(mcu, MCU_MBOX + 0x20 + 0x8, 1); // channel 2 doorbell, side B
    assert_ne!(
        read32(app, PLIC_PENDING) & (1 << 3),
        0,
        "side A's channel 2 line is PLIC source 3"
    );

    // The reset controller holds the microcontroller until released.
    let (_, reset) = cpu_pin(&m, "mcu", "reset", 0);
    assert!(
        nvic.level(reset),
        "the microcontroller starts held in reset"
    );
    write32(app, 0x3001_0000, 0);
    assert!(!nvic.level(reset));
}

#[test]
fn the_shared_sram_is_one_memory_at_two_addresses() {
    let m = build(&SerialConfig::default());
    let (app, mcu) = (space(&m, "app-bus"), space(&m, "mcu-bus"));
    // Written by the application side, read by the microcontroller side.
    for (i, offset) in [0, 0x100, 0x8000, SHARED_SIZE - 4].into_iter().enumerate() {
        let value = 0xa5a5_0000 | i as u32;
        write32(app, APP_SHARED + offset, value);
        assert_eq!(read32(mcu, MCU_SHARED + offset), value);
    }
    // And the other way.
    write32(mcu, MCU_SHARED + 0x40, 0x1234_5678);
    assert_eq!(read32(app, APP_SHARED + 0x40), 0x1234_5678);
    // Past its end, neither side has it.
    assert!(app
        .read(
            &ctx(),
            APP_SHARED + SHARED_SIZE,
            4,
            Endian::Little,
            AccessKind::Read
        )
        .is_err());
    assert!(mcu
        .read(
            &ctx(),
            MCU_SHARED + SHARED_SIZE,
            4,
            Endian::Little,
            AccessKind::Read
        )
        .is_err());
    // Private memory at the same address is two memories.
    write32(app, PRIVATE_WORD, 0x4150_5021);
    assert_eq!(read32(mcu, PRIVATE_WORD), 0);
    write32(mcu, PRIVATE_WORD, 0x4d43_5521);
    assert_eq!(read32(app, PRIVATE_WORD), 0x4150_5021);
}
