//! The subcommands and what each does.

use crate::out::{out, outln};
use std::path::PathBuf;
use std::sync::Arc;

use chimera_engine::{ExitRequest, RunLimits, RunOutcome};
use chimera_machine::{
    builtin_registry, load_file, load_profile, parse_cli_value, profiles, Constructor, Diagnostics,
    FirmwareSpec, ImageSpec, Loaded, Registry, SerialConfig,
};
use clap::{Args, Subcommand};

use crate::exit;

/// What `chimera` can do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a machine (the default profile when given nothing).
    Run(RunArgs),
    /// Check a description and report every mistake.
    Check(SourceArgs),
    /// List the shipped profiles.
    Profiles,
    /// List every object type.
    Types {
        /// Print JSON with each type's schema.
        #[arg(long)]
        json: bool,
    },
    /// Describe one type: doc, origin, properties, pins.
    Describe {
        /// The type's name.
        name: String,
    },
    /// Print a machine's composition tree and memory map.
    Tree(SourceArgs),
    /// Write the flattened device tree of what a cluster sees (the one
    /// `--bios` hands to firmware); `dtc -I dtb -O dts` reads it.
    Dtb(DtbArgs),
    /// Guest MIPS of the benchmark workloads, next to QEMU's on the same images.
    Bench {
        /// Only the workloads whose `target/name` contains one of these
        /// (`rv64`, `m4/crc`, `sort`, `hetero`).
        filters: Vec<String>,
    },
    /// Serve the machine protocol (QMP) with no machine yet: clients build
    /// one, realize it and run it.
    Serve {
        /// Where to listen: `unix:PATH`, `tcp:PORT` or `tcp:HOST:PORT`.
        #[arg(long, value_name = "unix:PATH|tcp:[HOST:]PORT")]
        qmp: String,
        /// Where UARTs go once a machine is realized (as for `run`).
        #[arg(long = "serial", value_name = "[UART=]stdio|file:PATH|none")]
        serials: Vec<String>,
    },
}

impl Default for Command {
    fn default() -> Self {
        Command::Run(RunArgs::default())
    }
}

/// Which description to use.
#[derive(Debug, Default, Args)]
pub struct SourceArgs {
    /// A description file.
    pub description: Option<PathBuf>,
    /// A shipped profile instead of a file.
    #[arg(long, conflicts_with = "description")]
    pub profile: Option<String>,
    /// Change a property: `ID.PROPERTY=VALUE` (`cpu.harts=2`, `ram.size=256M`).
    #[arg(long = "set", value_name = "ID.PROPERTY=VALUE")]
    pub sets: Vec<String>,
}

/// Arguments of `chimera dtb`.
#[derive(Debug, Default, Args)]
pub struct DtbArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// The cluster whose view it describes (default: the one `--kernel`
    /// loads into).
    #[arg(long)]
    pub cluster: Option<String>,
    /// Where to write it (default: standard output, unless that is a
    /// terminal).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `chimera run`.
#[derive(Debug, Default, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// An image to load: `IMAGE` into the default cluster, or `CLUSTER=IMAGE`.
    /// Replaces the images the description gives that cluster. With
    /// `--bios`, the firmware's payload (as QEMU's `virt` loads it for
    /// OpenSBI's `fw_jump`: an ELF file at its own addresses, a raw image
    /// on the first 2 MiB boundary after the firmware, 4 MiB on RV32).
    #[arg(long = "kernel", value_name = "[CLUSTER=]IMAGE")]
    pub kernels: Vec<String>,
    /// Firmware (raw or ELF) loaded at the machine's `bios-base`, as QEMU's
    /// `virt` does: the default cluster's CPUs start in it with their hart
    /// id in a0 and a device tree of the machine in a1.
    #[arg(long)]
    pub bios: Option<PathBuf>,
    /// An initial RAM disk for the `--kernel` payload, placed where QEMU's
    /// `virt` puts it and named in the device tree's `/chosen`.
    #[arg(long, requires = "bios", value_name = "FILE")]
    pub initrd: Option<PathBuf>,
    /// The payload's command line (`/chosen/bootargs`), as QEMU's `-append`.
    #[arg(long, requires = "bios", value_name = "ARGS")]
    pub append: Option<String>,
    /// A device tree blob to hand the firmware instead of the generated
    /// one (`/chosen` still gets `--append` and `--initrd`).
    #[arg(long, requires = "bios", value_name = "FILE")]
    pub dtb: Option<PathBuf>,
    /// Where a UART's output goes: `stdio`, `file:PATH`, `none`, optionally
    /// prefixed by the UART's path (`app.uart0=file:app.log`).
    #[arg(long = "serial", value_name = "[UART=]stdio|file:PATH|none")]
    pub serials: Vec<String>,
    /// Stop after this many instructions (all CPUs together). Not with
    /// --qmp or --gdb, whose clients decide when the run ends.
    #[arg(long, conflicts_with_all = ["qmp", "gdb"])]
    pub max_insns: Option<u64>,
    /// Print instruction counts and virtual time when the run ends.
    #[arg(long)]
    pub stats: bool,
    /// How every cluster runs guest code: `jit` (the default: hot blocks
    /// compiled to host code by Cranelift in a thread of their own),
    /// `jit-sync` (compiled in the CPU's thread), `baseline` (the JIT's
    /// quick first tier only) or `interp` (the portable interpreter).
    /// Guest results and instruction counts are the same.
    #[arg(long, value_name = "jit|jit-sync|baseline|interp")]
    pub accel: Option<chimera_machine::Accel>,
    /// Run each cluster on its own host thread (guest results are the same;
    /// the default single-threaded mode is reproducible to the instruction).
    #[arg(long)]
    pub parallel: bool,
    /// Pin what comes from the host: real-time clocks start at
    /// 2026-01-01T00:00:00Z instead of the host's time, so two runs are
    /// alike to the instruction even when the guest reads the date.
    #[arg(long)]
    pub reproducible: bool,
    /// Also serve the machine protocol (QMP): `unix:PATH` or `tcp:[HOST:]PORT`.
    #[arg(long, value_name = "unix:PATH|tcp:[HOST:]PORT")]
    pub qmp: Option<String>,
    /// With --qmp: start stopped, waiting for `cont`.
    #[arg(short = 'S', long)]
    pub paused: bool,
    /// Serve GDB: `tcp::PORT` or `tcp:HOST:PORT`; each cluster gets its own
    /// port, consecutive from PORT in description order (port 0: free ports
    /// the system picks, printed). With --qmp, start it from QMP instead
    /// (`gdbserver tcp::PORT` through `human-monitor-command`).
    #[arg(long, value_name = "tcp:[HOST]:PORT", conflicts_with = "qmp")]
    pub gdb: Option<String>,
    /// With --gdb: stop before the first instruction until a debugger
    /// resumes the machine.
    #[arg(long)]
    pub gdb_wait: bool,
}

/// Runs a command and returns the process exit code.
pub fn execute(command: Command) -> u8 {
    let registry = builtin_registry();
    let result = match command {
        Command::Run(args) => run(args, registry),
        Command::Check(args) => load_source(&args, registry).map(|loaded| {
            match loaded.realize(&SerialConfig::default()) {
                Ok(m) => {
                    outln!("{}: ok ({} objects)", m.name(), m.tree().len());
                    0
                }
                Err(d) => report(&d),
            }
        }),
        Command::Profiles => {
            for p in profiles::PROFILES {
                let default = if p.name == profiles::DEFAULT_PROFILE {
                    " (default)"
                } else {
                    ""
                };
                outln!("{:<16} {}{default}", p.name, p.summary());
            }
            Ok(0)
        }
        Command::Types { json } => Ok(types(&registry, json)),
        Command::Describe { name } => Ok(describe(&registry, &name)),
        Command::Serve { qmp, serials } => serve(&qmp, &serials, registry),
        Command::Bench { filters } => Ok(crate::bench::bench(&filters)),
        Command::Dtb(args) => dtb(&args, registry),
        Command::Tree(args) => load_source(&args, registry).map(|loaded| {
            match loaded.realize(&SerialConfig::default()) {
                Ok(m) => {
                    out!("{}", m.tree().render());
                    outln!();
                    out!("{}", m.render_wiring());
                    outln!();
                    outln!("{}", m.render_mtree());
                    0
                }
                Err(d) => report(&d),
            }
        }),
    };
    result.unwrap_or_else(|d| report(&d))
}

fn report(d: &Diagnostics) -> u8 {
    eprintln!("{d}");
    exit::EMULATOR_ERROR
}

fn cli_error(message: String, hint: Option<String>) -> Diagnostics {
    Diagnostics(vec![chimera_machine::Diagnostic {
        location: None,
        message,
        hint,
    }])
}

fn load_source(args: &SourceArgs, registry: Arc<Registry>) -> Result<Loaded, Diagnostics> {
    let mut loaded = match (&args.description, &args.profile) {
        (Some(path), _) => load_file(path, registry)?,
        (None, Some(name)) => load_profile(name, registry)?,
        (None, None) => load_profile(profiles::DEFAULT_PROFILE, registry)?,
    };
    for set in &args.sets {
        let (target, value) = set.split_once('=').ok_or_else(|| {
            cli_error(
                format!("--set {set}: expected ID.PROPERTY=VALUE"),
                Some("for example --set cpu.harts=2".into()),
            )
        })?;
        let (id, property) = target.rsplit_once('.').ok_or_else(|| {
            cli_error(
                format!("--set {set}: `{target}` names no property"),
                Some("write the object's id, a dot and the property: cpu.harts".into()),
            )
        })?;
        loaded
            .builder
            .set_property(id, property, parse_cli_value(value))
            .map_err(|e| cli_error(format!("--set {set}: {}", e.kind), e.kind.hint()))?;
    }
    Ok(loaded)
}

fn run(args: RunArgs, registry: Arc<Registry>) -> Result<u8, Diagnostics> {
    let mut loaded = load_source(&args.source, registry)?;
    let mut serial = SerialConfig::default().with_stdin();
    for s in &args.serials {
        serial
            .add(s)
            .map_err(|e| cli_error(format!("--serial {s}: {e}"), None))?;
    }
    let _terminal = crate::terminal::RawInput::enable();
    let firmware_cluster = match &args.bios {
        Some(_) => Some(
            loaded
                .kernel_cluster()
                .ok_or_else(|| cli_error("--bios: the machine has no cluster".into(), None))?,
        ),
        None => None,
    };
    let mut payload = None;
    for k in &args.kernels {
        let (cluster, path) = match k.split_once('=') {
            Some((c, p)) => (c.to_string(), p),
            None => (
                loaded.kernel_cluster().ok_or_else(|| {
                    cli_error("--kernel: the machine has no cluster".into(), None)
                })?,
                k.as_str(),
            ),
        };
        loaded.builder.clear_images(&cluster);
        if firmware_cluster.as_ref() == Some(&cluster) {
            if payload.replace(PathBuf::from(path)).is_some() {
                return Err(cli_error(
                    format!("--kernel {k}: the firmware of `{cluster}` already has a payload"),
                    Some("give one --kernel per cluster".into()),
                ));
            }
            continue;
        }
        if let Some(firmware) =
            chimera_machine::image::linux_firmware_hint(std::path::Path::new(path))
        {
            return Err(cli_error(
                format!("--kernel {k}: this is a Linux kernel `Image`, which needs firmware to start it"),
                Some(firmware),
            ));
        }
        let spec = ImageSpec {
            cluster,
            path: PathBuf::from(path),
            addr: None,
            entry: true,
        };
        loaded
            .builder
            .add_image(spec)
            .map_err(|e| cli_error(format!("--kernel {k}: {}", e.kind), e.kind.hint()))?;
    }
    if let (Some(bios), Some(cluster)) = (&args.bios, firmware_cluster) {
        let base = loaded.description.bios_base.ok_or_else(|| {
            cli_error(
                "--bios: this machine has no `bios-base`".into(),
                Some("load firmware with --kernel CLUSTER=IMAGE instead".into()),
            )
        })?;
        // The firmware replaces what the description loads there.
        loaded.builder.clear_images(&cluster);
        let spec = FirmwareSpec {
            cluster,
            bios: bios.clone(),
            bios_base: base,
            kernel: payload,
            initrd: args.initrd.clone(),
            append: args.append.clone(),
            dtb: args.dtb.clone(),
        };
        loaded
            .builder
            .set_firmware(spec)
            // Paths given here are the caller's, not a description's.
            .map_err(|e| cli_error(e.kind.to_string(), None))?;
    }
    if let Some(accel) = args.accel {
        loaded.builder.set_accel(accel);
    }
    if args.reproducible {
        loaded.builder.pin_host_inputs();
    }
    let mut machine = loaded.realize(&serial)?;
    machine.scheduler_mut().set_parallel(args.parallel);
    if let Some(gdb) = &args.gdb {
        let outcome = run_with_gdb(gdb, machine, args.gdb_wait)?;
        report_outcome(&outcome, None);
        return Ok(exit::for_outcome(&outcome));
    }
    if let Some(qmp) = &args.qmp {
        let registry = machine.registry().clone();
        return run_with_qmp(qmp, machine, args.paused, registry);
    }
    let outcome = machine.run(RunLimits {
        max_insns: args.max_insns,
        max_ns: None,
        held: false,
    });
    report_outcome(&outcome, Some(machine.scheduler().insns()));
    if args.stats {
        let s = machine.scheduler();
        eprintln!("virtual time: {} ns", s.now_ns());
        for c in s.clusters() {
            let (translated, invalidated) = c.cache_stats();
            eprintln!(
                "cluster {} ({}): {} instructions, {} blocks translated, {} invalidated",
                c.name(),
                c.arch(),
                c.insns(),
                translated,
                invalidated
            );
            let r = c.run_stats();
            eprintln!(
                "  run loop: {} lookups ({} not in the dispatch cache); interpreted {} blocks, \
                 {} instructions; {} entries into compiled code ({} left by an exit not \
                 linked yet), {} instructions; \
                 {} soft-MMU flushes, {} chain epochs",
                r.lookups,
                r.dispatch_misses,
                r.interpreted_blocks,
                r.interpreted_insns,
                r.native_runs,
                r.unlinked_exits,
                r.native_insns,
                r.mmu_flushes,
                r.epochs
            );
            if let Some((name, b)) = c.backend_stats() {
                let [cranelift, first] = b.tiers;
                eprintln!(
                    "  {name}: Cranelift {} blocks ({} refused), {:.1} ms compiling (median \
                     {:.1} us), {:.1} bytes of code per guest instruction; first tier {} \
                     blocks ({} refused), {:.1} ms compiling (median {:.1} us), {:.1} bytes \
                     per guest instruction",
                    b.compiled,
                    b.failed,
                    cranelift.compile_ns as f64 / 1e6,
                    b.median_compile_ns as f64 / 1e3,
                    cranelift.bytes_per_insn(),
                    b.baseline_compiled,
                    b.baseline_failed,
                    first.compile_ns as f64 / 1e6,
                    b.median_baseline_ns as f64 / 1e3,
                    first.bytes_per_insn()
                );
            }
            for cpu in c.cpus() {
                eprintln!(
                    "  cpu{}: pc {:#x}, {} instructions, {:.3} ms asleep{}",
                    cpu.hart,
                    cpu.pc,
                    cpu.insns,
                    cpu.slept_ns as f64 / 1e6,
                    if cpu.halted {
                        ", waiting for an interrupt"
                    } else {
                        ""
                    }
                );
            }
        }
    }
    Ok(exit::for_outcome(&outcome))
}

/// Writes the device tree of a cluster's view.
fn dtb(args: &DtbArgs, registry: Arc<Registry>) -> Result<u8, Diagnostics> {
    use std::io::{IsTerminal, Write};
    let loaded = load_source(&args.source, registry)?;
    let cluster = match &args.cluster {
        Some(c) => c.clone(),
        None => loaded
            .kernel_cluster()
            .ok_or_else(|| cli_error("the machine has no cluster".into(), None))?,
    };
    if args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(cli_error(
            "a device tree is binary: not writing it to a terminal".into(),
            Some("write it to a file with -o FILE, or pipe it to `dtc -I dtb -O dts`".into()),
        ));
    }
    let machine = loaded.realize(&SerialConfig::default())?;
    let blob = machine
        .device_tree(&cluster)
        .map_err(|e| cli_error(e.to_string(), None))?;
    match &args.output {
        Some(path) => std::fs::write(path, &blob)
            .map_err(|e| cli_error(format!("cannot write `{}`: {e}", path.display()), None))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&blob)
                .and_then(|()| out.flush())
                .map_err(|e| cli_error(format!("cannot write the device tree: {e}"), None))?;
        }
    }
    Ok(0)
}

fn report_outcome(outcome: &RunOutcome, insns: Option<u64>) {
    match outcome {
        RunOutcome::Exit(ExitRequest::Error(message)) => eprintln!("chimera: error: {message}"),
        RunOutcome::Exit(ExitRequest::Quit) => eprintln!("\nchimera: terminated (Ctrl-A X)"),
        RunOutcome::Idle => eprintln!(
            "chimera: every CPU waits for an interrupt and no timer is armed: the guest is hung"
        ),
        RunOutcome::TrapStorm { cluster, storm } => eprintln!(
            "chimera: the guest is hung: CPU {} of cluster `{cluster}` took {} traps in a row \
             without retiring an instruction; the last at pc {:#x}: {}",
            storm.hart,
            chimera_engine::TRAP_STORM_TRAPS,
            storm.pc,
            storm.trap
        ),
        RunOutcome::InsnLimit => eprintln!(
            "chimera: stopped after {} instructions (--max-insns)",
            insns.unwrap_or(0)
        ),
        _ => {}
    }
}

/// Runs the machine with a GDB port per cluster until the guest ends it.
fn run_with_gdb(
    spec: &str,
    machine: chimera_machine::Machine,
    wait: bool,
) -> Result<RunOutcome, Diagnostics> {
    let (host, port) = chimera_gdb::parse_endpoint(spec).ok_or_else(|| {
        cli_error(
            format!("--gdb {spec}: expected tcp::PORT or tcp:HOST:PORT"),
            None,
        )
    })?;
    let hub = chimera_gdb::Hub::new(machine, wait);
    let ports = chimera_gdb::listen(&hub, &host, port)
        .map_err(|e| cli_error(format!("--gdb: {e}"), None))?;
    for p in ports {
        eprintln!(
            "chimera: gdb for cluster {} ({}) on {host}:{}",
            p.cluster, p.arch, p.port
        );
    }
    let outcome = hub.run();
    // A session stopped at a breakpoint when another cluster ended the
    // run is not told: it holds the exit this long at most.
    hub.wait_for_sessions_to_end(std::time::Duration::from_millis(500));
    Ok(outcome)
}

fn parse_endpoint(text: &str) -> Result<chimera_qmp::Endpoint, Diagnostics> {
    chimera_qmp::Endpoint::parse(text).map_err(|e| cli_error(format!("--qmp: {e}"), None))
}

/// Serves QMP with no machine until a client quits.
fn serve(qmp: &str, serials: &[String], registry: Arc<Registry>) -> Result<u8, Diagnostics> {
    let endpoint = parse_endpoint(qmp)?;
    let mut serial = SerialConfig::default();
    for s in serials {
        serial
            .add(s)
            .map_err(|e| cli_error(format!("--serial {s}: {e}"), None))?;
    }
    let controller = chimera_qmp::Controller::new(registry, serial);
    chimera_qmp::listen(controller.clone(), &endpoint)
        .map_err(|e| cli_error(format!("--qmp {qmp}: cannot listen: {e}"), None))?;
    eprintln!("chimera: QMP on {qmp}; no machine yet");
    while !controller.quit_requested() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    controller.wait_quit_answered(QUIT_ANSWER_WAIT);
    Ok(controller.exit_code().map_or(0, |c| (c & 0xff) as u8))
}

/// Runs a realized machine under QMP control until the guest ends it or a
/// client quits.
fn run_with_qmp(
    qmp: &str,
    machine: chimera_machine::Machine,
    paused: bool,
    registry: Arc<Registry>,
) -> Result<u8, Diagnostics> {
    let endpoint = parse_endpoint(qmp)?;
    let controller = chimera_qmp::Controller::with_machine(registry, machine, true);
    chimera_qmp::listen(controller.clone(), &endpoint)
        .map_err(|e| cli_error(format!("--qmp {qmp}: cannot listen: {e}"), None))?;
    if !paused {
        controller.resume();
    }
    // A hung guest or an internal error stops the machine, not the
    // server: clients look at what happened until one of them quits (as
    // QEMU stays up in `guest-panicked`); the exit code then says how the
    // machine ended.
    let code = loop {
        controller.wait_until_stopped();
        let status = controller.status();
        match status {
            chimera_qmp::Status::Shutdown => {
                break controller.exit_code().map_or(0, |c| (c & 0xff) as u8)
            }
            _ if !controller.quit_requested() => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            chimera_qmp::Status::GuestPanicked => break exit::GUEST_HUNG,
            chimera_qmp::Status::InternalError => break exit::EMULATOR_ERROR,
            _ => break 0,
        }
    };
    controller.wait_quit_answered(QUIT_ANSWER_WAIT);
    Ok(code)
}

/// How long a quit waits for its answer to reach the client that asked.
const QUIT_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

fn types(registry: &Registry, json: bool) -> u8 {
    if json {
        let list: Vec<serde_json::Value> = registry.iter().map(|t| t.info.to_json()).collect();
        match serde_json::to_string_pretty(&list) {
            Ok(text) => {
                outln!("{text}");
                0
            }
            Err(e) => {
                eprintln!("chimera: {e}");
                exit::EMULATOR_ERROR
            }
        }
    } else {
        for t in registry.iter() {
            outln!(
                "{:<16} {:<14} {}",
                t.info.name(),
                t.info.kind().name(),
                t.info.doc()
            );
        }
        0
    }
}

fn describe(registry: &Registry, name: &str) -> u8 {
    let Ok(t) = registry.get(name) else {
        let hint = registry
            .suggest(name)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        eprintln!("chimera: unknown type `{name}`{hint}; `chimera types` lists every type");
        return exit::EMULATOR_ERROR;
    };
    let info = &t.info;
    outln!("{}: {}", info.name(), info.doc());
    outln!("kind: {}", info.kind().name());
    outln!("origin: {}", info.origin());
    if info.properties().is_empty() {
        outln!("properties: none");
    } else {
        outln!("properties:");
        for p in info.properties() {
            let default = match (&p.default, p.required) {
                (_, true) => "required".to_string(),
                (Some(d), false) => format!("default {d}"),
                (None, false) => "optional".to_string(),
            };
            let mutability = match p.mutability {
                chimera_core::Mutability::Config => "config",
                chimera_core::Mutability::Runtime => "runtime",
            };
            outln!(
                "  {:<18} {:<22} {:<18} {:<8} {}",
                p.name,
                p.type_name,
                default,
                mutability,
                p.doc
            );
        }
    }
    let defaults = serde_json::Value::Object(info.defaults());
    let pins = match &t.constructor {
        Constructor::Device(d) => d.pins(&defaults).ok(),
        Constructor::Cluster(c) => c.cpu_pins(&defaults).ok(),
        _ => None,
    };
    if let Some(pins) = pins.filter(|p| !p.is_empty()) {
        let label = if matches!(t.constructor, Constructor::Cluster(_)) {
            "pins of each CPU (with default properties)"
        } else {
            "pins (with default properties)"
        };
        outln!("{label}:");
        for p in pins {
            outln!(
                "  {:<18} {:<7} {}",
                p.display_name(),
                p.direction.name(),
                p.doc
            );
        }
    }
    0
}
