//! The ARM CMSDK APB UART (Cortex-M System Design Kit, ARM DDI0479C), as
//! QEMU models it for the `mps2-an385`/`mps2-an386` boards: a one-byte
//! transmit and a one-byte receive buffer, overrun flags and five
//! interrupt outputs.
//!
//! | offset | register | access |
//! | --- | --- | --- |
//! | `0x000` | DATA | RW: write transmits, read takes the received byte |
//! | `0x004` | STATE | bit 0 TX full, bit 1 RX full (RO); bits 2/3 TX/RX overrun (W1C) |
//! | `0x008` | CTRL | TX en, RX en, TX int en, RX int en, TX/RX overrun int en, HS test |
//! | `0x00C` | INTSTATUS / INTCLEAR | TX, RX, TX overrun, RX overrun (W1C) |
//! | `0x010` | BAUDDIV | 20 bits, stored only |
//! | `0xFD0`–`0xFFC` | PID4–7, PID0–3, CID0–3 | RO identification |
//!
//! Transmission is immediate: a byte written while TX is enabled goes to
//! the character backend at once, TX full never stays set, and the TX
//! interrupt (if enabled) marks the completion. As in QEMU, a byte written
//! while TX is disabled is never sent: it stays in the buffer with TX full
//! set, and later writes only flag a TX overrun. Bad offsets read as 0 and
//! ignore writes, as in QEMU.

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

/// The CMSDK APB UART has no settings (its baud divisor only paces a real
/// line, and transmission here is immediate).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CmsdkApbUartConfig {}

const REG_DATA: u64 = 0x000;
const REG_STATE: u64 = 0x004;
const REG_CTRL: u64 = 0x008;
const REG_INTSTATUS: u64 = 0x00c;
const REG_BAUDDIV: u64 = 0x010;
const REG_PID4: u64 = 0xfd0;
const REG_CID3: u64 = 0xffc;

const STATE_TXFULL: u32 = 1 << 0;
const STATE_RXFULL: u32 = 1 << 1;
const STATE_TXOVERRUN: u32 = 1 << 2;
const STATE_RXOVERRUN: u32 = 1 << 3;

const CTRL_TX_EN: u32 = 1 << 0;
const CTRL_RX_EN: u32 = 1 << 1;
const CTRL_TX_INTEN: u32 = 1 << 2;
const CTRL_RX_INTEN: u32 = 1 << 3;
const CTRL_MASK: u32 = 0x7f;

const INT_TX: u32 = 1 << 0;
const INT_RX: u32 = 1 << 1;
const INT_TXO: u32 = 1 << 2;
const INT_RXO: u32 = 1 << 3;

const BAUDDIV_MASK: u32 = 0xf_ffff;

/// PID4..PID7, PID0..PID3, CID0..CID3 (QEMU's `uart_id`).
const UART_ID: [u8; 12] = [
    0x04, 0x00, 0x00, 0x00, 0x21, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
];

/// How often input is looked for while receive interrupts are enabled
/// (virtual time): about a character time at 115200 baud.
const POLL_NS: u64 = 100_000;

/// The pins, in QEMU's sysbus IRQ order.
const PINS: [(&str, &str); 5] = [
    ("txint", "transmit interrupt"),
    ("rxint", "receive interrupt"),
    ("txovr", "transmit overrun interrupt"),
    ("rxovr", "receive overrun interrupt"),
    ("uartint", "any of the four interrupts"),
];

/// The registers of the UART: plain data, the unit of snapshots.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CmsdkApbUartState {
    /// STATE: buffer full and overrun flags.
    pub state: u32,
    /// CTRL.
    pub ctrl: u32,
    /// INTSTATUS.
    pub intstatus: u32,
    /// BAUDDIV.
    pub bauddiv: u32,
    /// The byte last written to DATA.
    pub txbuf: u8,
    /// The byte last received.
    pub rxbuf: u8,
}

/// A CMSDK APB UART.
pub struct CmsdkApbUart {
    state: CmsdkApbUartState,
    backend: Arc<dyn CharBackend>,
    /// txint, rxint, txovr, rxovr, uartint.
    lines: [Line; 5],
    levels: [bool; 5],
    /// Looks for input while receive interrupts are enabled, so that a
    /// guest waiting for one gets it without reading the registers.
    poll: Option<Timer>,
    _poller: Option<Arc<Poller>>,
}

impl std::fmt::Debug for CmsdkApbUart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CmsdkApbUart")
            .field("state", &self.state)
            .finish()
    }
}

/// The timer target that polls a UART's input.
struct Poller {
    uart: Weak<Locked<CmsdkApbUart>>,
}

impl TimerTarget for Poller {
    fn fire(&self, now_ns: u64) {
        if let Some(uart) = self.uart.upgrade() {
            uart.with(|u| {
                u.pull_input();
                u.schedule_poll(now_ns);
            });
        }
    }
}

impl CmsdkApbUart {
    /// A UART in its reset state; `lines` are txint, rxint, txovr, rxovr
    /// and uartint.
    pub fn new(backend: Arc<dyn CharBackend>, lines: [Line; 5]) -> Self {
        CmsdkApbUart {
            state: CmsdkApbUartState::default(),
            backend,
            lines,
            levels: [false; 5],
            poll: None,
            _poller: None,
        }
    }

    /// The register state.
    pub fn state(&self) -> &CmsdkApbUartState {
        &self.state
    }

    /// Recomputes the overrun interrupt bits (STATE's overrun flags gated
    /// by their enables) and drives the lines that changed.
    fn update(&mut self) {
        let s = &mut self.state;
        let omask = INT_TXO | INT_RXO;
        s.intstatus = (s.intstatus & !omask) | (s.state & (s.ctrl >> 2) & omask);
        let i = s.intstatus;
        let levels = [
            i & INT_TX != 0,
            i & INT_RX != 0,
            i & INT_TXO != 0,
            i & INT_RXO != 0,
            i != 0,
        ];
        for ((line, old), new) in self.lines.iter().zip(&mut self.levels).zip(levels) {
            if *old != new {
                *old = new;
                line.set(new);
            }
        }
    }

    /// Takes one byte of input if RX is enabled and the buffer is empty
    /// (QEMU's `uart_can_receive`, which rules out receive overruns).
    fn pull_input(&mut self) {
        let s = &self.state;
        if s.ctrl & CTRL_RX_EN == 0 || s.state & STATE_RXFULL != 0 {
            return;
        }
        if let Some(byte) = self.backend.read_byte() {
            self.state.rxbuf = byte;
            self.state.state |= STATE_RXFULL;
            if self.state.ctrl & CTRL_RX_INTEN != 0 {
                self.state.intstatus |= INT_RX;
            }
            self.update();
        }
    }

    /// Arms or cancels the input poll after `now_ns`, per CTRL.
    fn schedule_poll(&self, now_ns: u64) {
        if let Some(t) = &self.poll {
            let want = CTRL_RX_EN | CTRL_RX_INTEN;
            if self.state.ctrl & want == want {
                t.arm(now_ns.saturating_add(POLL_NS));
            } else {
                t.cancel();
            }
        }
    }

    /// Sends the buffered byte if TX is enabled; the TX interrupt marks
    /// its completion.
    fn transmit(&mut self) {
        let s = &mut self.state;
        if s.ctrl & CTRL_TX_EN == 0 || s.state & STATE_TXFULL == 0 {
            return;
        }
        self.backend.write(&[s.txbuf]);
        s.state &= !STATE_TXFULL;
        if s.ctrl & CTRL_TX_INTEN != 0 {
            s.intstatus |= INT_TX;
        }
        self.update();
    }

    /// Reads the 32-bit register at `offset`; 0 for a bad offset.
    pub fn read_reg(&mut self, offset: u64) -> u32 {
        self.pull_input();
        let s = &mut self.state;
        match offset {
            REG_DATA => {
                s.state &= !STATE_RXFULL;
                let value = u32::from(s.rxbuf);
                self.update();
                value
            }
            REG_STATE => s.state,
            REG_CTRL => s.ctrl,
            REG_INTSTATUS => s.intstatus,
            REG_BAUDDIV => s.bauddiv,
            REG_PID4..=REG_CID3 => u32::from(UART_ID[((offset - REG_PID4) / 4) as usize]),
            _ => 0,
        }
    }

    /// Writes the 32-bit register at `offset`; ignored for a bad or
    /// read-only offset.
    pub fn write_reg(&mut self, offset: u64, value: u32) {
        let s = &mut self.state;
        match offset {
            REG_DATA => {
                s.txbuf = value as u8;
                if s.state & STATE_TXFULL != 0 {
                    s.state |= STATE_TXOVERRUN;
                    self.update();
                } else {
                    s.state |= STATE_TXFULL;
                    self.transmit();
                }
            }
            REG_STATE => {
                s.state &= !(value & (STATE_TXOVERRUN | STATE_RXOVERRUN));
                self.update();
            }
            REG_CTRL => {
                s.ctrl = value & CTRL_MASK;
                self.update();
            }
            REG_INTSTATUS => {
                // Clearing an overrun interrupt clears its STATE flag,
                // which is what the interrupt bit reflects.
                s.state &= !(value & (INT_TXO | INT_RXO));
                s.intstatus &= !value;
                self.update();
            }
            REG_BAUDDIV => s.bauddiv = value & BAUDDIV_MASK,
            _ => {}
        }
    }
}

impl RegisterBlock for CmsdkApbUart {
    fn read(&mut self, _: &MmioCtx, offset: u64, size: usize) -> Option<u64> {
        let value = u64::from(self.read_reg(offset));
        Some(match size {
            1 => value & 0xff,
            2 => value & 0xffff,
            _ => value,
        })
    }

    fn write(&mut self, ctx: &MmioCtx, offset: u64, _: usize, value: u64) -> Option<()> {
        self.write_reg(offset, value as u32);
        if offset == REG_CTRL {
            self.schedule_poll(ctx.now_ns);
        }
        Some(())
    }
}

/// The `cmsdk-apb-uart` device type.
#[derive(Debug)]
pub struct CmsdkApbUartType;

impl DeviceType for CmsdkApbUartType {
    fn info(&self) -> TypeInfo {
        TypeInfo::of::<CmsdkApbUartConfig>(
            "cmsdk-apb-uart",
            "ARM CMSDK APB UART with one-byte buffers, as on QEMU's mps2 boards",
            ObjectKind::Device,
            Origin::Builtin {
                provider: "chimera-devices".into(),
            },
        )
    }

    fn pins(&self, config: &Value) -> Result<Vec<PinInfo>, String> {
        let _: CmsdkApbUartConfig = parse_config(config)?;
        Ok(PINS
            .iter()
            .map(|(name, doc)| PinInfo::output(name, doc))
            .collect())
    }

    fn has_serial(&self) -> bool {
        true
    }

    fn build(&self, config: &Value, env: DeviceEnv) -> Result<DeviceParts, String> {
        let _: CmsdkApbUartConfig = parse_config(config)?;
        let backend = env.serial.clone().unwrap_or_else(|| Arc::new(NullBackend));
        let lines = PINS.map(|(name, _)| env.output(name, 0));
        let uart = Arc::new_cyclic(|weak: &Weak<Locked<CmsdkApbUart>>| {
            let poller = Arc::new(Poller { uart: weak.clone() });
            let mut u = CmsdkApbUart::new(backend, lines);
            u.poll = Some(
                env.clock
                    .timer(Arc::downgrade(&poller) as Weak<dyn TimerTarget>),
            );
            u._poller = Some(poller);
            Locked::new(u)
        });
        Ok(DeviceParts {
            windows: vec![MmioWindow {
                size: 0x1000,
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
    use chimera_engine::Clock;
    use std::sync::Mutex;

    /// Records the level of each input pin.
    #[derive(Default)]
    struct Levels(Mutex<[bool; 5]>);

    impl LineSink for Levels {
        fn set_input(&self, pin: u32, level: bool) {
            self.0.lock().unwrap()[pin as usize] = level;
        }
    }

    impl Levels {
        fn get(&self) -> [bool; 5] {
            *self.0.lock().unwrap()
        }
    }

    fn uart() -> (CmsdkApbUart, Arc<BufferBackend>, Arc<Levels>) {
        let buf = BufferBackend::new();
        let levels = Arc::new(Levels::default());
        let lines = [0, 1, 2, 3, 4].map(|i| Line::new(levels.clone(), i));
        (CmsdkApbUart::new(buf.clone(), lines), buf, levels)
    }

    #[test]
    fn id_registers_read_qemus_values() {
        let (mut u, _, _) = uart();
        let ids: Vec<u32> = (0..12).map(|i| u.read_reg(0xfd0 + 4 * i)).collect();
        assert_eq!(
            ids,
            [0x04, 0, 0, 0, 0x21, 0xb8, 0x1b, 0, 0x0d, 0xf0, 0x05, 0xb1]
        );
        u.write_reg(0xfe0, 0x55);
        assert_eq!(u.read_reg(0xfe0), 0x21);
    }

    #[test]
    fn registers_keep_their_writable_bits() {
        let (mut u, _, _) = uart();
        u.write_reg(REG_CTRL, 0xffff_ffff);
        assert_eq!(u.read_reg(REG_CTRL), 0x7f);
        u.write_reg(REG_BAUDDIV, 0xffff_ffff);
        assert_eq!(u.read_reg(REG_BAUDDIV), 0xf_ffff);
    }

    #[test]
    fn bytes_written_with_tx_enabled_reach_the_backend() {
        let (mut u, buf, _) = uart();
        u.write_reg(REG_CTRL, CTRL_TX_EN);
        for b in b"hi\n" {
            u.write_reg(REG_DATA, u32::from(*b));
        }
        assert_eq!(buf.contents(), b"hi\n");
        assert_eq!(u.read_reg(REG_STATE) & STATE_TXFULL, 0);
    }

    #[test]
    fn bytes_written_with_tx_disabled_are_held_and_then_overrun() {
        let (mut u, buf, levels) = uart();
        u.write_reg(REG_CTRL, CTRL_TX_INTEN | (CTRL_TX_INTEN << 2));
        u.write_reg(REG_DATA, u32::from(b'a'));
        assert!(buf.contents().is_empty());
        assert_eq!(u.read_reg(REG_STATE), STATE_TXFULL);
        u.write_reg(REG_DATA, u32::from(b'b'));
        assert_eq!(u.read_reg(REG_STATE), STATE_TXFULL | STATE_TXOVERRUN);
        // TX overrun interrupt enabled (CTRL bit 4): txovr and uartint.
        assert_eq!(levels.get(), [false, false, true, false, true]);
        u.write_reg(REG_INTSTATUS, INT_TXO);
        assert_eq!(u.read_reg(REG_STATE), STATE_TXFULL);
        assert_eq!(levels.get(), [false; 5]);
        // Enabling TX later does not send the held byte (as in QEMU).
        u.write_reg(REG_CTRL, CTRL_TX_EN);
        assert!(buf.contents().is_empty());
    }

    #[test]
    fn tx_interrupt_is_raised_on_completion_and_cleared_by_intclear() {
        let (mut u, _, levels) = uart();
        u.write_reg(REG_CTRL, CTRL_TX_EN | CTRL_TX_INTEN);
        assert_eq!(levels.get(), [false; 5]);
        u.write_reg(REG_DATA, u32::from(b'x'));
        assert_eq!(u.read_reg(REG_INTSTATUS), INT_TX);
        assert_eq!(levels.get(), [true, false, false, false, true]);
        u.write_reg(REG_INTSTATUS, INT_TX);
        assert_eq!(u.read_reg(REG_INTSTATUS), 0);
        assert_eq!(levels.get(), [false; 5]);
    }

    #[test]
    fn received_byte_raises_rx_interrupt_and_is_read_from_data() {
        let (mut u, buf, levels) = uart();
        buf.push_input(b"ab");
        // RX disabled: nothing is taken.
        assert_eq!(u.read_reg(REG_STATE), 0);
        u.write_reg(REG_CTRL, CTRL_RX_EN | CTRL_RX_INTEN);
        assert_eq!(u.read_reg(REG_STATE), STATE_RXFULL);
        assert_eq!(levels.get(), [false, true, false, false, true]);
        assert_eq!(u.read_reg(REG_DATA), u32::from(b'a'));
        u.write_reg(REG_INTSTATUS, INT_RX);
        assert_eq!(levels.get(), [false; 5]);
        assert_eq!(u.read_reg(REG_DATA), u32::from(b'b'));
        assert_eq!(u.read_reg(REG_STATE), 0);
    }

    #[test]
    fn bad_offsets_and_sizes_read_zero_and_ignore_writes() {
        let (mut u, buf, _) = uart();
        let ctx = MmioCtx::default();
        u.write(&ctx, REG_CTRL, 4, u64::from(CTRL_TX_EN)).unwrap();
        for offset in [0x14, 0x3, 0x800, 0xffd, 0x1000, u64::MAX] {
            assert_eq!(u.read(&ctx, offset, 4), Some(0));
            assert_eq!(u.write(&ctx, offset, 4, 0xffff_ffff), Some(()));
        }
        assert_eq!(u.read(&ctx, REG_CTRL, 1), Some(1));
        assert_eq!(u.read(&ctx, REG_CTRL, 8), Some(1));
        u.write(&ctx, REG_DATA, 1, u64::from(b'z')).unwrap();
        assert_eq!(buf.contents(), b"z");
        assert_eq!(u.read_reg(REG_CTRL), CTRL_TX_EN);
    }

    #[test]
    fn input_is_polled_while_rx_interrupts_are_enabled() {
        let clock = Clock::new();
        let buf = BufferBackend::new();
        let levels = Arc::new(Levels::default());
        let lines = [0, 1, 2, 3, 4].map(|i| Line::new(levels.clone(), i));
        let mut env = DeviceEnv::new(
            chimera_core::ObjectPath::machine(),
            clock.clone(),
            Arc::new(chimera_engine::RunControl::new()),
            Some(buf.clone() as Arc<dyn CharBackend>),
        );
        for (i, (name, _)) in PINS.iter().enumerate() {
            env.connect_output(name, 0, lines[i].clone());
        }
        let parts = CmsdkApbUartType.build(&serde_json::json!({}), env).unwrap();
        let mmio = &parts.windows[0].mmio;
        let ctx = MmioCtx {
            now_ns: 1000,
            ..Default::default()
        };
        let ctrl = u64::from(CTRL_RX_EN | CTRL_RX_INTEN);
        mmio.write(&ctx, REG_CTRL, 4, ctrl).unwrap();
        assert_eq!(clock.next_deadline(), 1000 + POLL_NS);
        buf.push_input(b"q");
        assert_eq!(clock.fire_due(1000 + POLL_NS), 1);
        assert_eq!(levels.get(), [false, true, false, false, true]);
        assert_eq!(clock.next_deadline(), 1000 + 2 * POLL_NS);
        mmio.write(&ctx, REG_CTRL, 4, 0).unwrap();
        assert_eq!(clock.next_deadline(), chimera_engine::clock::NEVER);
    }
}
