//! A toy architecture for testing and measuring the engine without any
//! real frontend: 16 registers, fixed 32-bit instructions, a countdown
//! timer device.
#![allow(dead_code)]

use std::sync::{Arc, Mutex, Weak};

use chimera_core::{Line, PinInfo};
use chimera_engine::ir::{BinOp, Global, HelperId, IrBuilder, Ty};
use chimera_engine::{
    irq_inputs_for, Clock, Cluster, ClusterParams, ClusterSetup, CodeReader, CpuEnv, CpuState,
    ExitRequest, Frontend, Helper, HelperCtx, IrqInputs, MemoryOrder, RunControl, RunLimits,
    RunOutcome, Scheduler, Timer, TimerTarget, Trap,
};
use chimera_memory::{AddressSpace, Endian, Mmio, MmioCtx, Ram, Region};

/// Toy CPU: 16 registers, a pc, and a count of interrupts taken.
pub struct ToyCpu {
    regs: [u64; 16],
    pc: u64,
}

impl CpuState for ToyCpu {
    fn pc(&self) -> u64 {
        self.pc
    }
    fn set_pc(&mut self, pc: u64) {
        self.pc = pc;
    }
    fn globals(&self) -> &[u64] {
        &self.regs
    }
    fn globals_mut(&mut self) -> &mut [u64] {
        &mut self.regs
    }
}

pub struct Toy;

const H_EXIT: HelperId = HelperId(0);
const H_WFI: HelperId = HelperId(1);

fn helper_exit(ctx: &mut HelperCtx<Toy>, args: &[u64]) -> Result<u64, Trap> {
    ctx.env.control.request(ExitRequest::Exit(args[0] as i32));
    Ok(0)
}

fn helper_wfi(ctx: &mut HelperCtx<Toy>, _: &[u64]) -> Result<u64, Trap> {
    ctx.env.request_halt();
    Ok(0)
}

const HELPERS: &[Helper<Toy>] = &[
    Helper {
        name: "exit",
        func: helper_exit,
        leaf: false,
        globals: true,
    },
    Helper {
        name: "wfi",
        func: helper_wfi,
        leaf: false,
        globals: true,
    },
];

fn r(n: u32) -> Global {
    Global(n & 15)
}

impl Frontend for Toy {
    type Cpu = ToyCpu;

    fn arch(&self) -> &str {
        "toy"
    }
    fn helpers(&self) -> &[Helper<Self>] {
        HELPERS
    }
    fn irq_pins(&self) -> Vec<PinInfo> {
        vec![PinInfo::input("irq", "wakes the CPU and counts in r13")]
    }
    fn new_cpu(&self, _hart: u32) -> ToyCpu {
        ToyCpu {
            regs: [0; 16],
            pc: 0,
        }
    }
    fn reset(&self, cpu: &mut ToyCpu) {
        cpu.regs = [0; 16];
        cpu.pc = 0;
    }
    fn block_mode(&self, _: &ToyCpu) -> u32 {
        0
    }
    fn translate(
        &self,
        code: &mut CodeReader<'_, '_, Self>,
        b: &mut IrBuilder,
    ) -> Result<(), Trap> {
        let mut pc = code.start();
        for n in 0..16 {
            let word = match code.fetch(pc, 4, Endian::Little) {
                Ok(w) => w as u32,
                Err(trap) if n == 0 => return Err(trap),
                Err(_) => break,
            };
            b.insn_start(pc);
            let (op, a, bb, c) = (
                word >> 24,
                (word >> 16) & 0xff,
                (word >> 8) & 0xff,
                word & 0xff,
            );
            let next = pc + 4;
            match op {
                0x01 => {
                    let v = b.constant(Ty::I64, u64::from(word & 0xffff));
                    b.set(r(a), v);
                }
                0x02 => {
                    let x = b.get(r(bb), Ty::I64);
                    let y = b.get(r(c), Ty::I64);
                    let s = b.add(x, y);
                    b.set(r(a), s);
                }
                0x03 => {
                    let x = b.get(r(bb), Ty::I64);
                    let s = b.add_imm(x, c as u8 as i8 as i64 as u64);
                    b.set(r(a), s);
                }
                0x04 => {
                    let addr = b.get(r(bb), Ty::I64);
                    let v = b.load(addr, Ty::I64, 8, false, Endian::Little);
                    b.set(r(a), v);
                }
                0x05 | 0x0a => {
                    let addr = b.get(r(a), Ty::I64);
                    let v = b.get(r(bb), Ty::I64);
                    b.store(addr, v, if op == 5 { 8 } else { 4 }, Endian::Little);
                }
                0x06 => {
                    let x = b.get(r(a), Ty::I64);
                    let taken = b.label();
                    b.branch(x, taken);
                    b.goto(next, 0);
                    b.set_label(taken);
                    let off = ((word & 0xffff) as u16 as i16 as i64) * 4;
                    b.goto(pc.wrapping_add(off as u64), 1);
                    return Ok(());
                }
                0x07 => {
                    b.call(H_WFI, &[], None);
                    b.return_to_loop(next);
                    return Ok(());
                }
                0x08 => {
                    let x = b.get(r(a), Ty::I64);
                    b.call(H_EXIT, &[x], None);
                    b.return_to_loop(next);
                    return Ok(());
                }
                0x09 => {
                    let x = b.get(r(bb), Ty::I64);
                    let s = b.binary_imm(BinOp::Shl, x, u64::from(c));
                    b.set(r(a), s);
                }
                _ => {
                    // Illegal: the trap is raised when the block reaches it.
                    b.return_to_loop(pc);
                    if n == 0 {
                        return Err(Trap::Guest {
                            cause: 1,
                            value: u64::from(word),
                        });
                    }
                    return Ok(());
                }
            }
            pc = next;
        }
        b.goto(pc, 0);
        Ok(())
    }
    fn handle_trap(&self, cpu: &mut ToyCpu, env: &mut CpuEnv, trap: Trap, pc: u64) {
        match trap {
            Trap::Memory(f) => {
                cpu.regs[15] = f.vaddr;
                cpu.pc = pc + 4;
            }
            Trap::Guest { value, .. } => env
                .control
                .request(ExitRequest::Error(format!("illegal {value:#x} at {pc:#x}"))),
        }
    }
    fn check_interrupts(&self, cpu: &mut ToyCpu, _: &mut CpuEnv, irq: &IrqInputs) -> bool {
        let level = irq.level(0);
        if level && cpu.regs[12] == 0 {
            cpu.regs[12] = 1;
            cpu.regs[13] += 1;
        }
        if !level {
            cpu.regs[12] = 0;
        }
        level
    }
    fn dump_registers(&self, cpu: &ToyCpu) -> String {
        format!("pc={:#x} r0={:#x}", cpu.pc, cpu.regs[0])
    }
}

pub fn li(a: u32, imm: u16) -> u32 {
    0x0100_0000 | a << 16 | u32::from(imm)
}
pub fn add(a: u32, b: u32, c: u32) -> u32 {
    0x0200_0000 | a << 16 | b << 8 | c
}
pub fn addi(a: u32, b: u32, imm: i8) -> u32 {
    0x0300_0000 | a << 16 | b << 8 | u32::from(imm as u8)
}
pub fn ld(a: u32, b: u32) -> u32 {
    0x0400_0000 | a << 16 | b << 8
}
pub fn st(a: u32, b: u32) -> u32 {
    0x0500_0000 | a << 16 | b << 8
}
pub fn st32(a: u32, b: u32) -> u32 {
    0x0a00_0000 | a << 16 | b << 8
}
pub fn bnez(a: u32, words: i16) -> u32 {
    0x0600_0000 | a << 16 | u32::from(words as u16)
}
pub const WFI: u32 = 0x0700_0000;
pub fn exit(a: u32) -> u32 {
    0x0800_0000 | a << 16
}
pub fn shl(a: u32, b: u32, c: u32) -> u32 {
    0x0900_0000 | a << 16 | b << 8 | c
}

/// A countdown timer: a write of N at offset 0 raises its line N ns later;
/// a write at offset 8 lowers it.
struct Countdown {
    timer: Mutex<Option<Timer>>,
    line: Line,
}

impl Mmio for Countdown {
    fn read(&self, _: &MmioCtx, _: u64, _: usize) -> Option<u64> {
        Some(0)
    }
    fn write(&self, ctx: &MmioCtx, offset: u64, _: usize, value: u64) -> Option<()> {
        match offset {
            0 => self.timer.lock().unwrap().as_ref()?.arm(ctx.now_ns + value),
            8 => self.line.lower(),
            _ => return None,
        }
        Some(())
    }
}

impl TimerTarget for Countdown {
    fn fire(&self, _: u64) {
        self.line.raise();
    }
}

const RAM_BASE: u64 = 0;
const TIMER_BASE: u64 = 0x1000_0000;

pub struct ToyMachine {
    pub scheduler: Scheduler,
    pub ram: Arc<Ram>,
}

pub fn machine(program: &[u32], cpus: u32) -> ToyMachine {
    let ram = Arc::new(Ram::new(0x10000));
    for (i, w) in program.iter().enumerate() {
        ram.write(i as u64 * 4, 4, Endian::Little, u64::from(*w))
            .unwrap();
    }
    let clock = Clock::new();
    let control = Arc::new(RunControl::new());
    let irqs = irq_inputs_for(&Toy, cpus);
    let countdown = Arc::new(Countdown {
        timer: Mutex::new(None),
        line: Line::new(irqs[0].clone(), 0),
    });
    let target: Weak<dyn TimerTarget> = Arc::downgrade(&countdown) as _;
    *countdown.timer.lock().unwrap() = Some(clock.timer(target));
    let mut space = AddressSpace::new("toy");
    space
        .map(RAM_BASE, Region::ram("ram", ram.clone()), 0)
        .unwrap();
    space
        .map(
            TIMER_BASE,
            Region::mmio("countdown", 16, countdown, Endian::Little),
            0,
        )
        .unwrap();
    let params = ClusterParams {
        word_bits: 64,
        endian: Endian::Little,
        page_bits: 12,
        paddr_bits: 32,
        vaddr_bits: 32,
        memory_order: MemoryOrder::Weak,
        freq_hz: 1_000_000_000,
    };
    let mut cluster = Cluster::new(
        Toy,
        ClusterSetup {
            name: "cpu".into(),
            params,
            first_index: 0,
            watcher: 0,
            irqs,
            space: Arc::new(space),
            control: control.clone(),
            console: None,
        },
    );
    cluster.set_verify(true);
    let scheduler = Scheduler::new(vec![Box::new(cluster)], clock, control);
    ToyMachine { scheduler, ram }
}

pub fn run(m: &mut ToyMachine) -> RunOutcome {
    m.scheduler.run(RunLimits {
        max_insns: Some(10_000_000),
        max_ns: None,
        held: false,
    })
}

/// Sum of 1..=n, then exit with it.
pub fn sum_program(n: u16) -> Vec<u32> {
    vec![
        li(1, n),     // r1 = n
        li(2, 0),     // r2 = 0
        add(2, 2, 1), // loop: r2 += r1
        addi(1, 1, -1),
        bnez(1, -2),
        exit(2),
    ]
}
