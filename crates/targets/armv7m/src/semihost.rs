//! ARM semihosting (`BKPT 0xAB`): the guest asks the host for console
//! output and for the end of the run, as `qemu-system-arm -semihosting`
//! answers it. Operations that would reach the host's files are refused.

use chimera_engine::{ExitRequest, HelperCtx, Trap};
use chimera_memory::Endian;

use crate::ArmM;

const SYS_OPEN: u32 = 0x01;
const SYS_CLOSE: u32 = 0x02;
const SYS_WRITEC: u32 = 0x03;
const SYS_WRITE0: u32 = 0x04;
const SYS_WRITE: u32 = 0x05;
const SYS_READ: u32 = 0x06;
const SYS_READC: u32 = 0x07;
const SYS_ISERROR: u32 = 0x08;
const SYS_ISTTY: u32 = 0x09;
const SYS_SEEK: u32 = 0x0a;
const SYS_FLEN: u32 = 0x0c;
const SYS_CLOCK: u32 = 0x10;
const SYS_TIME: u32 = 0x11;
const SYS_ERRNO: u32 = 0x13;
const SYS_GET_CMDLINE: u32 = 0x15;
const SYS_HEAPINFO: u32 = 0x16;
const SYS_EXIT: u32 = 0x18;
const SYS_EXIT_EXTENDED: u32 = 0x20;

/// ADP_Stopped_ApplicationExit: the reason code of a normal exit.
const APPLICATION_EXIT: u32 = 0x20026;
/// The handle `:tt` opened for writing gets.
const STDOUT: u32 = 1;
/// The handle `:tt` opened for appending (stderr) gets.
const STDERR: u32 = 2;
/// Longest string `SYS_WRITE0` copies.
const MAX_STRING: u32 = 1 << 16;

type Ctx<'a, 'b> = HelperCtx<'a, 'b, ArmM>;

fn word(ctx: &mut Ctx, addr: u32) -> Result<u32, Trap> {
    Ok(ctx.load(u64::from(addr), 4, Endian::Little)? as u32)
}

fn byte(ctx: &mut Ctx, addr: u32) -> Result<u8, Trap> {
    Ok(ctx.load(u64::from(addr), 1, Endian::Little)? as u8)
}

/// Carries out operation `op` with parameter `param`; gives the value the
/// guest finds in R0.
pub fn call(ctx: &mut Ctx, op: u32, param: u32) -> Result<u32, Trap> {
    Ok(match op {
        SYS_WRITEC => {
            let c = byte(ctx, param)?;
            ctx.frontend.console_write(&[c]);
            0
        }
        SYS_WRITE0 => {
            let mut text = Vec::new();
            for i in 0..MAX_STRING {
                let c = byte(ctx, param.wrapping_add(i))?;
                if c == 0 {
                    break;
                }
                text.push(c);
            }
            ctx.frontend.console_write(&text);
            0
        }
        SYS_WRITE => {
            let fd = word(ctx, param)?;
            let buf = word(ctx, param.wrapping_add(4))?;
            let len = word(ctx, param.wrapping_add(8))?;
            if fd != STDOUT && fd != STDERR {
                return Ok(len);
            }
            let mut text = Vec::with_capacity(len.min(MAX_STRING) as usize);
            for i in 0..len.min(MAX_STRING) {
                text.push(byte(ctx, buf.wrapping_add(i))?);
            }
            ctx.frontend.console_write(&text);
            len - len.min(MAX_STRING)
        }
        SYS_OPEN => {
            let name = word(ctx, param)?;
            let mode = word(ctx, param.wrapping_add(4))?;
            let is_tt = byte(ctx, name)? == b':'
                && byte(ctx, name.wrapping_add(1))? == b't'
                && byte(ctx, name.wrapping_add(2))? == b't'
                && byte(ctx, name.wrapping_add(3))? == 0;
            match (is_tt, mode) {
                (true, 0..=3) => 0,
                (true, 4..=7) => STDOUT,
                (true, _) => STDERR,
                (false, _) => u32::MAX,
            }
        }
        SYS_CLOSE | SYS_ISERROR | SYS_ERRNO => 0,
        SYS_ISTTY => 1,
        SYS_READ => word(ctx, param.wrapping_add(8))?,
        SYS_READC | SYS_SEEK | SYS_FLEN => u32::MAX,
        SYS_CLOCK => (ctx.env.now_ns() / 10_000_000) as u32,
        SYS_TIME => 0,
        SYS_GET_CMDLINE => {
            let buf = word(ctx, param)?;
            let size = word(ctx, param.wrapping_add(4))?;
            if size == 0 {
                return Ok(u32::MAX);
            }
            ctx.store(u64::from(buf), 1, Endian::Little, 0)?;
            ctx.store(u64::from(param) + 4, 4, Endian::Little, 0)?;
            0
        }
        SYS_HEAPINFO => {
            let block = word(ctx, param)?;
            for i in 0..4 {
                ctx.store(u64::from(block) + 4 * i, 4, Endian::Little, 0)?;
            }
            0
        }
        SYS_EXIT => {
            let code = if param == APPLICATION_EXIT { 0 } else { 1 };
            exit(ctx, code);
            0
        }
        SYS_EXIT_EXTENDED => {
            let reason = word(ctx, param)?;
            let subcode = word(ctx, param.wrapping_add(4))?;
            let code = if reason == APPLICATION_EXIT {
                subcode as i32
            } else {
                1
            };
            exit(ctx, code);
            0
        }
        _ => u32::MAX,
    })
}

fn exit(ctx: &mut Ctx, code: i32) {
    ctx.env.control.request(ExitRequest::Exit(code));
    ctx.env.request_halt();
}
