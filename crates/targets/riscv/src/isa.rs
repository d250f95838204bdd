//! Which optional extensions a RISC-V cluster implements: its `isa`
//! property, in the spelling of QEMU's `-cpu rv64,zba=false,sstc=off`,
//! and what follows from it — an instruction of an extension turned off
//! decodes as illegal, its CSRs are absent, and the device tree does not
//! name it. The defaults are QEMU's `rv64`: every extension on but
//! Svpbmt.

use crate::inst::{Alu, Inst};

/// The optional extensions, each on or off ([`Extensions::default`]:
/// QEMU 10's `rv64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extensions {
    /// Cache-block management (`cbo.clean`, `cbo.flush`, `cbo.inval`).
    pub zicbom: bool,
    /// Cache-block prefetch hints (advertised only: they are `ori` hints).
    pub zicbop: bool,
    /// `cbo.zero`.
    pub zicboz: bool,
    /// `czero.eqz`, `czero.nez`.
    pub zicond: bool,
    /// `pause` (advertised only: it is a `fence` hint).
    pub zihintpause: bool,
    /// Address generation (`sh1add`, `add.uw`, …).
    pub zba: bool,
    /// Basic bit manipulation (`andn`, `clz`, `rev8`, …).
    pub zbb: bool,
    /// Carry-less multiplication (`clmul`, `clmulh`, `clmulr`).
    pub zbc: bool,
    /// Single-bit instructions (`bset`, `bext`, …).
    pub zbs: bool,
    /// `wrs.nto`, `wrs.sto`.
    pub zawrs: bool,
    /// The supervisor timer compare register `stimecmp`.
    pub sstc: bool,
    /// Page-based memory types in RV64 page-table entries.
    pub svpbmt: bool,
    /// Sv48 paging (RV64).
    pub sv48: bool,
    /// Sv57 paging (RV64; only with Sv48).
    pub sv57: bool,
}

impl Default for Extensions {
    fn default() -> Self {
        Extensions {
            zicbom: true,
            zicbop: true,
            zicboz: true,
            zicond: true,
            zihintpause: true,
            zba: true,
            zbb: true,
            zbc: true,
            zbs: true,
            zawrs: true,
            sstc: true,
            // Off, as on QEMU's `rv64`: turned on with `svpbmt=true`.
            svpbmt: false,
            sv48: true,
            sv57: true,
        }
    }
}

/// The names `isa` takes, in the order the device tree lists them.
pub const NAMES: [&str; 14] = [
    "zicbom",
    "zicbop",
    "zicboz",
    "zicond",
    "zihintpause",
    "zawrs",
    "zba",
    "zbb",
    "zbc",
    "zbs",
    "sstc",
    "svpbmt",
    "sv48",
    "sv57",
];

impl Extensions {
    fn flag(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "zicbom" => &mut self.zicbom,
            "zicbop" => &mut self.zicbop,
            "zicboz" => &mut self.zicboz,
            "zicond" => &mut self.zicond,
            "zihintpause" => &mut self.zihintpause,
            "zba" => &mut self.zba,
            "zbb" => &mut self.zbb,
            "zbc" => &mut self.zbc,
            "zbs" => &mut self.zbs,
            "zawrs" => &mut self.zawrs,
            "sstc" => &mut self.sstc,
            "svpbmt" => &mut self.svpbmt,
            "sv48" => &mut self.sv48,
            "sv57" => &mut self.sv57,
            _ => return None,
        })
    }

    /// The extensions `spec` asks for: comma-separated `name=true`,
    /// `name=false` (or `on`/`off`), each changing the default (all on).
    ///
    /// # Errors
    ///
    /// A sentence naming an unknown extension (and the known ones) or a
    /// value that is not a truth value.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut ext = Extensions::default();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("isa: `{item}` is not `extension=true|false`"))?;
            let name = name.trim().to_ascii_lowercase();
            let on = match value.trim() {
                "true" | "on" => true,
                "false" | "off" => false,
                other => {
                    return Err(format!(
                        "isa: `{other}` for {name} is not true, false, on or off"
                    ))
                }
            };
            let flag = ext.flag(&name).ok_or_else(|| {
                format!(
                    "isa: unknown extension `{name}` (known: {})",
                    NAMES.join(", ")
                )
            })?;
            *flag = on;
        }
        Ok(ext)
    }

    /// The names of the extensions that are on, in [`NAMES`] order.
    pub fn enabled(&self) -> Vec<&'static str> {
        let mut copy = *self;
        NAMES
            .into_iter()
            .filter(|n| copy.flag(n).is_some_and(|f| *f))
            .collect()
    }

    /// Whether `satp` may select paging mode `mode`: Sv32 and Sv39
    /// always, Sv48 and Sv57 as `sv48` and `sv57` say (Sv57 only with
    /// Sv48, so `sv48=off` leaves Sv39 the largest, as on QEMU).
    pub fn allows_paging(&self, mode: crate::mmu::PagingMode) -> bool {
        use crate::mmu::PagingMode;
        match mode {
            PagingMode::Sv32 | PagingMode::Sv39 => true,
            PagingMode::Sv48 => self.sv48,
            PagingMode::Sv57 => self.sv48 && self.sv57,
        }
    }

    /// The largest paging mode of a hart of width `xlen`, as the device
    /// tree's `mmu-type` names it.
    pub fn mmu_type(&self, xlen: u32) -> &'static str {
        use crate::mmu::PagingMode;
        if xlen == 32 {
            "riscv,sv32"
        } else if self.allows_paging(PagingMode::Sv57) {
            "riscv,sv57"
        } else if self.allows_paging(PagingMode::Sv48) {
            "riscv,sv48"
        } else {
            "riscv,sv39"
        }
    }

    /// `inst` as this hart decodes it: illegal when its extension is off.
    pub fn filter(&self, inst: Inst) -> Inst {
        let allowed = match &inst {
            Inst::AluReg { op, .. } | Inst::AluImm { op, .. } => self.allows_alu(*op),
            Inst::Unary { .. } => self.zbb,
            Inst::Wrs { .. } => self.zawrs,
            Inst::CacheBlock { op, .. } => match op {
                crate::inst::CboOp::Zero => self.zicboz,
                _ => self.zicbom,
            },
            _ => true,
        };
        if allowed {
            inst
        } else {
            Inst::Illegal
        }
    }

    fn allows_alu(&self, op: Alu) -> bool {
        match op {
            Alu::Andn
            | Alu::Orn
            | Alu::Xnor
            | Alu::Min
            | Alu::Minu
            | Alu::Max
            | Alu::Maxu
            | Alu::Rol
            | Alu::Ror => self.zbb,
            Alu::ShAdd(_) | Alu::ShAddUw(_) | Alu::SllUw => self.zba,
            Alu::Bclr | Alu::Bset | Alu::Binv | Alu::Bext => self.zbs,
            Alu::CzeroEqz | Alu::CzeroNez => self.zicond,
            Alu::Clmul | Alu::Clmulh | Alu::Clmulr => self.zbc,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_spelling_turns_extensions_off_and_unknown_names_are_errors() {
        let ext = Extensions::parse("zba=false, sstc=off,zbb=on").expect("valid");
        assert!(!ext.zba && !ext.sstc && ext.zbb && ext.zicond);
        assert!(!ext.enabled().contains(&"zba"));
        assert_eq!(Extensions::parse("").expect("empty"), Extensions::default());
        let err = Extensions::parse("zbx=true").expect_err("unknown");
        assert!(err.contains("zbx") && err.contains("zicond"), "{err}");
        assert!(Extensions::parse("zba=maybe").is_err());
        assert!(Extensions::parse("zba").is_err());
    }

    #[test]
    fn an_instruction_of_an_extension_turned_off_is_illegal() {
        let add = Inst::AluReg {
            op: Alu::ShAdd(1),
            rd: 1,
            rs1: 2,
            rs2: 3,
            word: false,
        };
        let off = Extensions::parse("zba=false").expect("valid");
        assert_eq!(off.filter(add), Inst::Illegal);
        assert_eq!(Extensions::default().filter(add), add);
    }
}
