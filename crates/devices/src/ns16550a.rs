//! The NS16550A UART, register-compatible with the one on QEMU's `virt`
//! board: 16-byte receive FIFO, divisor latch, line and modem status, and
//! one interrupt line for received data, transmitter empty and line status.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};

use chimera_core::{Line, ObjectKind, Origin, PinInfo, TypeInfo};
use chimera_engine::{Timer, TimerTarget};
use chimera_memory::{Endian, MmioCtx};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    parse_config, DeviceEnv, DeviceParts, DeviceType, Locked, MmioWindow, RegisterBlock,
};
use crate::{CharBackend, NullBackend};

/// Settings of an NS16550A UART.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct Ns16550aConfig {
    /// Registers are `1 << reg-shift` bytes apart.
    #[schemars(range(max = 2))]
    pub reg_shift: u32,
    /// Input clock in Hz, as the device tree reports it.
    pub clock_frequency: u64,
}

impl Default for Ns16550aConfig {
    fn default() -> Self {
        Ns16550aConfig {
            reg_shift: 0,
            clock_frequency: 3_686_400,
        }
    }
}

const FIFO_SIZE: usize = 16;

const IER_RDI: u8 = 0x01;
const IER_THRI: u8 = 0x02;
const IER_RLSI: u8 = 0x04;

const IIR_NO_INT: u8 = 0x01;
const IIR_THRI: u8 = 0x02;
const IIR_RDI: u8 = 0x04;
const IIR_RLSI: u8 = 0x06;
const IIR_FIFO_ON: u8 = 0xc0;

const FCR_ENABLE: u8 = 0x01;
const FCR_CLEAR_RX: u8 = 0x02;

const LCR_DLAB: u8 = 0x80;

const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;

const MCR_LOOP: u8 = 0x10;

/// The register state of the UART: plain data, the unit of snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ns16550aState {
    /// Interrupt enable register.
    pub ier: u8,
    /// FIFO control register as last written.
    pub fcr: u8,
    /// Line control register.
    pub lcr: u8,
    /// Modem control register.
    pub mcr: u8,
    /// Line status bits that are not computed (overrun).
    pub lsr_errors: u8,
    /// Scratch register.
    pub scr: u8,
    /// Divisor latch.
    pub divisor: u16,
    /// A transmitter-empty interrupt is pending.
    pub thr_pending: bool,
    /// Received bytes not yet read.
    pub rx: VecDeque<u8>,
}

/// An NS16550A UART.
pub struct Ns16550a {
    state: Ns16550aState,
    shift: u32,
    backend: Arc<dyn CharBackend>,
    irq: Line,
    irq_level: bool,
    /// Looks for input while receive interrupts are enabled, so that a
    /// guest waiting for one gets it without reading the registers.
    poll: Option<Timer>,
    _poller: Option<Arc<Poller>>,
}

/// How often input is looked for while receive interrupts are enabled
/// (virtual time): about a character time at 115200 baud.
const POLL_NS: u64 = 100_000;

/// The timer target that polls a UART's input.
struct Poller {
    uart: Weak<Locked<Ns16550a>>,
}

impl TimerTarget for Poller {
    fn fire(&self, now_ns: u64) {
        if let Some(uart) = self.uart.upgrade() {
            uart.with(|u| {
                u.pull_input();
                u.update_irq();
                u.schedule_poll(now_ns);
            });
        }
    }
}

impl std::fmt::Debug for Ns16550a {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ns16550a")
            .field("state", &self.state)
            .finish()
    }
}

impl Ns16550a {
    /// A UART in its reset state.
    pub fn new(reg_shift: u32, backend: Arc<dyn CharBackend>, irq: Line) -> Self {
        Ns16550a {
            state: Ns16550aState {
                divisor: 12,
                ..Default::default()
            },
            shift: reg_shift,
            backend,
            irq,
            irq_level: false,
            poll: None,
            _poller: None,
        }
    }

    /// Arms or cancels the input poll after `now_ns`, per IER.
    fn schedule_poll(&self, now_ns: u64) {
        if let Some(t) = &self.poll {
            if self.state.ier & IER_RDI != 0 {
                t.arm(now_ns + POLL_NS);
            } else {
                t.cancel();
            }
        }
    }

    /// The register state.
    pub fn state(&self) -> &Ns16550aState {
        &self.state
    }

    fn fifo_on(&self) -> bool {
        self.state.fcr & FCR_ENABLE != 0
    }

    fn pull_input(&mut self) {
        let room = if self.fifo_on() { FIFO_SIZE } else { 1 };
        while self.state.rx.len() < room {
            match self.backend.read_byte() {
                Some(b) => self.state.rx.push_back(b),
                None => break,
            }
        }
    }

    fn lsr(&self) -> u8 {
        let mut lsr = LSR_THRE | LSR_TEMT | self.state.lsr_errors;
        if !self.state.rx.is_empty() {
            lsr |= LSR_DR;
        }
        lsr
    }

    fn iir(&self) -> u8 {
        let base = if self.fifo_on() { IIR_FIFO_ON } else { 0 };
        let s = &self.state;
        let id = if s.ier & IER_RLSI != 0 && s.lsr_errors & LSR_OE != 0 {
            IIR_RLSI
        } else if s.ier & IER_RDI != 0 && !s.rx.is_empty() {
            IIR_RDI
        } else if s.ier & IER_THRI != 0 && s.thr_pending {
            IIR_THRI
        } else {
            IIR_NO_INT
        };
        base | id
    }

    fn update_irq(&mut self) {
        let level = self.iir() & IIR_NO_INT == 0;
        if level != self.irq_level {
            self.irq_level = level;
            self.irq.set(level);
        }
    }

    fn transmit(&mut self, byte: u8) {
        if self.state.mcr & MCR_LOOP != 0 {
            if self.state.rx.len() < FIFO_SIZE {
                self.state.rx.push_back(byte);
            } else {
                self.state.lsr_errors |= LSR_OE;
            }
        } else {
            self.backend.write(&[byte]);
        }
        self.state.thr_pending = true;
    }

    /// Reads register `reg` (0..8).
    pub fn read_reg(&mut self, reg: u64) -> u8 {
        self.pull_input();
        let dlab = self.state.lcr & LCR_DLAB != 0;
        let value = match reg {
            0 if dlab => self.state.divisor as u8,
            0 => self.state.rx.pop_front().unwrap_or(0),
            1 if dlab => (self.state.divisor >> 8) as u8,
            1 => self.state.ier,
            2 => {
                let iir = self.iir();
                if iir & 0x0f == IIR_THRI {
                    self.state.thr_pending = false;
                }
                iir
            }
            3 => self.state.lcr,
            4 => self.state.mcr,
            5 => {
                let lsr = self.lsr();
                self.state.lsr_errors = 0;
                lsr
            }
            // Carrier detect, ring, data set ready and clear to send, as a
            // terminal that is always there.
            6 => 0xb0,
            7 => self.state.scr,
            _ => 0,
        };
        self.update_irq();
        value
    }

    /// Writes register `reg` (0..8).
    pub fn write_reg(&mut self, reg: u64, value: u8) {
        let dlab = self.state.lcr & LCR_DLAB != 0;
        match reg {
            0 if dlab => self.state.divisor = (self.state.divisor & 0xff00) | u16::from(value),
            0 => self.transmit(value),
            1 if dlab => {
                self.state.divisor = (self.state.divisor & 0x00ff) | (u16::from(value) << 8)
            }
            1 => {
                let newly_thri = value & IER_THRI != 0 && self.state.ier & IER_THRI == 0;
                self.state.ier = value & 0x0f;
                if newly_thri {
                    self.state.thr_pending = true;
                }
            }
            2 => {
                self.state.fcr = value;
                if value & FCR_CLEAR_RX != 0 {
                    self.state.rx.clear();
                }
            }
            3 => self.state.lcr = value,
            4 => self.state.mcr = value & 0x1f,
            7 => self.state.scr = value,
            _ => {}
        }
        self.update_irq();
    }
}

impl RegisterBlock for Ns16550a {
    fn read(&mut self, _: &MmioCtx, offset: u64, _size: usize) -> Option<u64> {
        Some(u64::from(self.read_reg(offset >> self.shift)))
    }

    fn write(&mut self, ctx: &MmioCtx, offset: u64, _size: usize, value: u64) -> Option<()> {
        let reg = offset >> self.shift;
        self.write_reg(reg, value as u8);
        if reg == 1 {
            self.schedule_poll(ctx.now_ns);
        }
        Some(())
    }
}

/// The `ns16550a` device type.
#[derive(Debug)]
pub struct Ns16550aType;

impl DeviceType for Ns16550aType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<Ns16550aConfig>(
            "ns16550a",
            "NS16550A UART with a 16-byte FIFO, as on QEMU's virt board",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, _: &Value) -> Result<Vec<PinInfo>, String> {
        Ok(vec![PinInfo::output("irq", "interrupt request")])
    }

    fn has_serial(&self) -> bool {
        true
    }

    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        let config: Ns16550aConfig = parse_config(config)?;
        let backend = env.serial.clone().unwrap_or_else(|| Arc::new(NullBackend));
        let uart = Arc::new_cyclic(|weak: &Weak<Locked<Ns16550a>>| {
            let poller = Arc::new(Poller { uart: weak.clone() });
            let mut u = Ns16550a::new(config.reg_shift, backend, env.output("irq", 0));
            u.poll = Some(
                env.clock
                    .timer(Arc::downgrade(&poller) as Weak<dyn TimerTarget>),
            );
            u._poller = Some(poller);
            Locked::new(u)
        });
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x100,
                mmio: uart,
                endian: Endian::Little,
            }],
            inputs: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BufferBackend;
    use chimera_core::LineSink;
    use std::sync::atomic::{AtomicBool, Ordering};

    struct Level(AtomicBool);
    impl LineSink for Level {
        fn set_input(&self, _: u32, level: bool) {
            self.0.store(level, Ordering::SeqCst);
        }
    }

    fn uart() -> (Ns16550a, Arc<BufferBackend>, Arc<Level>) {
        let buf = BufferBackend::new();
        let level = Arc::new(Level(AtomicBool::new(false)));
        let u = Ns16550a::new(0, buf.clone(), Line::new(level.clone(), 0));
        (u, buf, level)
    }

    #[test]
    fn transmitted_bytes_reach_the_backend() {
        let (mut u, buf, _) = uart();
        for b in b"hi\n" {
            u.write_reg(0, *b);
        }
        assert_eq!(buf.contents(), b"hi\n");
        assert_eq!(u.read_reg(5) & LSR_THRE, LSR_THRE);
    }

    #[test]
    fn received_bytes_raise_the_interrupt_until_read() {
        let (mut u, buf, level) = uart();
        u.write_reg(2, FCR_ENABLE);
        u.write_reg(1, IER_RDI);
        buf.push_input(b"ab");
        assert_eq!(u.read_reg(5) & LSR_DR, LSR_DR);
        assert!(level.0.load(Ordering::SeqCst));
        assert_eq!(u.read_reg(2) & 0x0f, IIR_RDI);
        assert_eq!(u.read_reg(0), b'a');
        assert_eq!(u.read_reg(0), b'b');
        assert!(!level.0.load(Ordering::SeqCst));
        assert_eq!(u.read_reg(2) & 0x0f, IIR_NO_INT);
    }

    #[test]
    fn thr_empty_interrupt_clears_on_iir_read() {
        let (mut u, _, level) = uart();
        u.write_reg(1, IER_THRI);
        assert!(level.0.load(Ordering::SeqCst));
        assert_eq!(u.read_reg(2) & 0x0f, IIR_THRI);
        assert!(!level.0.load(Ordering::SeqCst));
    }

    #[test]
    fn divisor_latch_is_reached_through_dlab() {
        let (mut u, buf, _) = uart();
        u.write_reg(3, LCR_DLAB);
        u.write_reg(0, 0x34);
        u.write_reg(1, 0x12);
        assert_eq!(u.state().divisor, 0x1234);
        u.write_reg(3, 0x03);
        assert!(buf.contents().is_empty());
    }
}
