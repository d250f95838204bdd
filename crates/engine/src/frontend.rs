//! The contract between the engine and an architecture: a [`Frontend`]
//! decodes guest code into IR and models its architecture's CPU state,
//! traps, interrupts and address translation; the engine does the rest.

use chimera_core::PinInfo;
use chimera_memory::{AccessKind, Endian};

use crate::ir::IrBuilder;
use crate::{mmu, CpuEnv, FaultKind, IrqInputs, MemFault, Translation, Trap};

/// The part of a CPU's state the engine touches directly.
pub trait CpuState: Send + 'static {
    /// The address of the next instruction.
    fn pc(&self) -> u64;
    /// Sets the next instruction's address.
    fn set_pc(&mut self, pc: u64);
    /// The register file the IR's globals index.
    fn globals(&self) -> &[u64];
    /// The register file, writable.
    fn globals_mut(&mut self) -> &mut [u64];
}

/// A helper: frontend code the IR calls for what is not worth expressing
/// in ops (CSRs, system instructions, atomics, float).
pub type HelperFn<F> = for<'a, 'b> fn(&mut HelperCtx<'a, 'b, F>, &[u64]) -> Result<u64, Trap>;

/// An entry of a frontend's helper table.
pub struct Helper<F: Frontend> {
    /// The helper's name, for dumps.
    pub name: &'static str,
    /// The function.
    pub func: HelperFn<F>,
    /// Whether it touches nothing but the CPU's registers and memory
    /// through [`HelperCtx`]'s accesses (no time, block mode, translation,
    /// block-end request or devices reached another way; it may trap):
    /// compiled code then goes on chaining after it unless an access
    /// reached a device or wrote translated code.
    pub leaf: bool,
    /// Whether it reads or writes the IR's globals. A leaf helper that
    /// does not may be called with globals held in host registers (they
    /// are stored only if it traps).
    pub globals: bool,
}

impl<F: Frontend> std::fmt::Debug for Helper<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Helper({})", self.name)
    }
}

/// What a helper gets: the frontend, the CPU, its environment and the pc
/// of the instruction that called it.
#[derive(Debug)]
pub struct HelperCtx<'a, 'b, F: Frontend> {
    /// The frontend.
    pub frontend: &'a F,
    /// The CPU.
    pub cpu: &'a mut F::Cpu,
    /// Its environment.
    pub env: &'a mut CpuEnv<'b>,
    /// The pc of the calling instruction.
    pub pc: u64,
}

impl<F: Frontend> HelperCtx<'_, '_, F> {
    /// Loads through the CPU's view (translation, TLB, MMIO).
    pub fn load(&mut self, vaddr: u64, size: usize, endian: Endian) -> Result<u64, Trap> {
        mmu::load(
            self.frontend,
            self.cpu,
            self.env,
            vaddr,
            size,
            endian,
            AccessKind::Read,
        )
    }

    /// Stores through the CPU's view.
    pub fn store(
        &mut self,
        vaddr: u64,
        size: usize,
        endian: Endian,
        value: u64,
    ) -> Result<(), Trap> {
        mmu::store(
            self.frontend,
            self.cpu,
            self.env,
            vaddr,
            size,
            endian,
            value,
        )
    }

    /// Writes `len` zero bytes at `vaddr` through the CPU's view, as
    /// stores would ([`mmu::zero`]: one translation for a block inside a
    /// page).
    pub fn zero(&mut self, vaddr: u64, len: usize) -> Result<(), Trap> {
        mmu::zero(self.frontend, self.cpu, self.env, vaddr, len)
    }

    /// Atomically replaces the `size` bytes at `vaddr` by `f(old)` (when
    /// `f` gives `Some`; it may be asked more than once when another
    /// thread wrote meanwhile), returning the old value. RAM only: an
    /// atomic on anything else is an access fault.
    pub fn atomic(
        &mut self,
        vaddr: u64,
        size: usize,
        endian: Endian,
        f: impl FnMut(u64) -> Option<u64>,
    ) -> Result<u64, Trap> {
        let fault = Trap::Memory(MemFault {
            vaddr,
            access: AccessKind::Write,
            kind: FaultKind::Bus(chimera_memory::BusErrorKind::Device),
        });
        let target = mmu::ram_target(self.frontend, self.cpu, self.env, vaddr, AccessKind::Write)?;
        let (ram, offset) = target.ok_or(fault)?;
        let old = ram.modify(offset, size, endian, f);
        self.env.outside |= ram.has_dirty_code(self.env.watcher);
        old.ok_or(fault)
    }
}

/// Reads guest code for the decoder, through the CPU's fetch view, and
/// records which physical bytes the block came from.
pub struct CodeReader<'a, 'b, F: Frontend> {
    frontend: &'a F,
    cpu: &'a mut F::Cpu,
    env: &'a mut CpuEnv<'b>,
    start: u64,
    pub(crate) code: Vec<(u64, u64)>,
    /// The RAM page the last fetch read, translated once for the block
    /// (its mapping cannot change while the block is decoded).
    page: Option<FetchPage>,
}

/// A page of code in RAM: its virtual page, and where its first byte is
/// in RAM and in the physical address space.
struct FetchPage {
    vpage: u64,
    ram: std::sync::Arc<chimera_memory::Ram>,
    ram_offset: u64,
    paddr: u64,
}

impl<F: Frontend> std::fmt::Debug for CodeReader<'_, '_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CodeReader(start {:#x})", self.start)
    }
}

impl<'a, 'b, F: Frontend> CodeReader<'a, 'b, F> {
    pub(crate) fn new(frontend: &'a F, cpu: &'a mut F::Cpu, env: &'a mut CpuEnv<'b>) -> Self {
        let start = cpu.pc();
        CodeReader {
            frontend,
            cpu,
            env,
            start,
            code: Vec::new(),
            page: None,
        }
    }

    /// The pc the block starts at.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// The CPU whose code is read (for modes that change decoding).
    pub fn cpu(&self) -> &F::Cpu {
        self.cpu
    }

    /// The cluster's parameters.
    pub fn params(&self) -> &crate::ClusterParams {
        self.env.params
    }

    /// Fetches `size` bytes (2 or 4) of code at `vaddr`.
    pub fn fetch(&mut self, vaddr: u64, size: usize, endian: Endian) -> Result<u64, Trap> {
        let mask = self.env.mmu.page_mask();
        let within = (vaddr & mask) + size as u64 <= mask + 1;
        if let Some(page) = self
            .page
            .as_ref()
            .filter(|p| within && p.vpage == vaddr & !mask)
        {
            let offset = page.ram_offset + (vaddr & mask);
            page.ram.mark_code(offset, size as u64, self.env.watcher);
            let value = page.ram.read(offset, size, endian);
            let paddr = page.paddr + (vaddr & mask);
            self.note_code(paddr, size);
            return value.ok_or(mmu::unmapped(vaddr, AccessKind::Fetch));
        }
        let target = mmu::ram_target(self.frontend, self.cpu, self.env, vaddr, AccessKind::Fetch)?;
        if let Some((ram, offset)) = &target {
            ram.mark_code(*offset, size as u64, self.env.watcher);
        }
        let paddr = mmu::physical(self.frontend, self.cpu, self.env, vaddr, AccessKind::Fetch)?;
        self.note_code(paddr, size);
        self.page = target.filter(|_| within).map(|(ram, offset)| FetchPage {
            vpage: vaddr & !mask,
            ram,
            ram_offset: offset - (vaddr & mask),
            paddr: paddr - (vaddr & mask),
        });
        mmu::load(
            self.frontend,
            self.cpu,
            self.env,
            vaddr,
            size,
            endian,
            AccessKind::Fetch,
        )
    }
}

impl<F: Frontend> CodeReader<'_, '_, F> {
    /// Records that the block's code takes `size` bytes at `paddr`.
    fn note_code(&mut self, paddr: u64, size: usize) {
        let end = paddr.saturating_add(size as u64);
        match self.code.last_mut() {
            Some(last) if last.1 == paddr => last.1 = end,
            _ => self.code.push((paddr, end)),
        }
    }
}

/// The bus error for a CPU-local address nobody answers.
pub fn local_fault(paddr: u64, access: AccessKind) -> Trap {
    mmu::unmapped(paddr, access)
}

/// An architecture, as the engine sees it.
pub trait Frontend: Send + Sync + Sized + 'static {
    /// The CPU state of one core.
    type Cpu: CpuState;

    /// The architecture's name (`riscv64`, `armv7m`).
    fn arch(&self) -> &str;

    /// The ELF `e_machine` of programs for this architecture, against
    /// which images are checked before they load (`None`: not checked).
    fn elf_machine(&self) -> Option<u16> {
        None
    }

    /// The helper table the IR's [`HelperId`](crate::ir::HelperId)s index.
    fn helpers(&self) -> &[Helper<Self>];

    /// The interrupt inputs of each CPU, as pins lines connect to.
    fn irq_pins(&self) -> Vec<PinInfo>;

    /// A CPU in its reset state, with machine-wide index `index` and
    /// index `hart` within its cluster.
    fn new_cpu(&self, hart: u32) -> Self::Cpu;

    /// Puts a CPU back in its reset state (keeping where it was told to
    /// start, if the loader set that).
    fn reset(&self, cpu: &mut Self::Cpu);

    /// Puts `args` in the registers a CPU starts with when a loader hands
    /// it arguments (the first argument registers of the architecture's
    /// calling convention: `a0`, `a1`, … on RISC-V). Called after
    /// [`Frontend::reset`] and the boot pc. Default: the architecture takes
    /// no boot arguments.
    fn set_boot_args(&self, cpu: &mut Self::Cpu, args: &[u64]) -> Result<(), String> {
        let _ = (cpu, args);
        Err(format!("{} CPUs take no boot arguments", self.arch()))
    }

    /// Completes a reset with what the architecture reads from memory
    /// (ARM M-profile's initial stack pointer and pc from the vector
    /// table); called before the first instruction after every reset.
    /// Default: nothing.
    fn complete_reset(&self, cpu: &mut Self::Cpu, env: &mut CpuEnv) {
        let _ = (cpu, env);
    }

    /// What besides the physical pc selects a translation (privilege
    /// level, instruction-set state): part of the block-cache key.
    fn block_mode(&self, cpu: &Self::Cpu) -> u32;

    /// The part of [`Frontend::block_mode`] that only trampolines change
    /// (privilege, instruction set, unit enables); the rest must follow
    /// from the code run before (ARM's IT state). Compiled code's chain
    /// links are dropped when it changes, and only blocks whose whole mode
    /// is this part go into the jump table indirect jumps look in.
    /// Default: all of it.
    fn chain_mode(&self, cpu: &Self::Cpu) -> u32 {
        self.block_mode(cpu)
    }

    /// Decodes one block starting at `code.start()` into `b`. Errors only
    /// when the first instruction cannot be fetched; later fetch failures
    /// end the block before that instruction.
    fn translate(&self, code: &mut CodeReader<'_, '_, Self>, b: &mut IrBuilder)
        -> Result<(), Trap>;

    /// Translates a virtual address for an access; the default is
    /// identity (no MMU).
    fn translate_addr(
        &self,
        cpu: &mut Self::Cpu,
        env: &mut CpuEnv,
        vaddr: u64,
        access: AccessKind,
    ) -> Result<Translation, Trap> {
        let _ = (cpu, env, access);
        Ok(Translation {
            paddr: vaddr,
            cacheable: true,
        })
    }

    /// The physical address a debugger's access to `vaddr` reaches, found
    /// without side effects (no accessed or dirty bits set, no cached
    /// translation changed); `None` when nothing is mapped there. The
    /// default is [`Frontend::translate_addr`] for a read, for frontends
    /// whose translation has no side effects.
    fn debug_translate(&self, cpu: &mut Self::Cpu, env: &mut CpuEnv, vaddr: u64) -> Option<u64> {
        self.translate_addr(cpu, env, vaddr, AccessKind::Read)
            .ok()
            .map(|t| t.paddr)
    }

    /// A debugger wrote the CPU's registers: whatever the frontend keeps
    /// derived from them (cached translations, the translation context) is
    /// brought up to date. Default: nothing.
    fn registers_written(&self, cpu: &mut Self::Cpu, env: &mut CpuEnv) {
        let _ = (cpu, env);
    }

    /// Whether physical address `paddr` is a register of the CPU itself
    /// rather than of the bus, such as ARM's System Control Space (NVIC,
    /// SysTick, SCB), which each core sees privately. Default: none.
    fn is_cpu_local(&self, paddr: u64) -> bool {
        let _ = paddr;
        false
    }

    /// Reads a CPU-local register (see [`Frontend::is_cpu_local`]).
    fn local_read(
        &self,
        cpu: &mut Self::Cpu,
        env: &mut CpuEnv,
        paddr: u64,
        size: usize,
    ) -> Result<u64, Trap> {
        let _ = (cpu, env, size);
        Err(local_fault(paddr, AccessKind::Read))
    }

    /// Writes a CPU-local register (see [`Frontend::is_cpu_local`]).
    fn local_write(
        &self,
        cpu: &mut Self::Cpu,
        env: &mut CpuEnv,
        paddr: u64,
        size: usize,
        value: u64,
    ) -> Result<(), Trap> {
        let _ = (cpu, env, size, value);
        Err(local_fault(paddr, AccessKind::Write))
    }

    /// Turns a trap at instruction `pc` into the guest's exception.
    fn handle_trap(&self, cpu: &mut Self::Cpu, env: &mut CpuEnv, trap: Trap, pc: u64);

    /// Looks at the interrupt inputs between blocks; takes an interrupt
    /// when one is pending and enabled. Returns whether a CPU halted in
    /// wait-for-interrupt should wake. Also called when the CPU's own
    /// wake-up time ([`CpuEnv::set_wakeup`]) is reached; it must then move
    /// or clear that wake-up.
    fn check_interrupts(&self, cpu: &mut Self::Cpu, env: &mut CpuEnv, irq: &IrqInputs) -> bool;

    /// The CPU's registers as text, for `info registers`.
    fn dump_registers(&self, cpu: &Self::Cpu) -> String;

    /// The GDB view of this architecture, if the frontend offers one.
    fn gdb(&self) -> Option<&dyn crate::debug::GdbArch<Self::Cpu>> {
        None
    }
}
