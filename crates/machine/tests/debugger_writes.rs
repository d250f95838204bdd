//! What a debugger writes reaches everything the CPU derives from it: a
//! `satp` or `mstatus` written through the GDB register interface drops
//! the soft-MMU's cached translations, as the guest's own CSR write does.

use chimera_machine::{builtin_registry, load_profile, SerialConfig};

/// GDB's register number of CSR `csr` on RISC-V (after x0-x31, pc and
/// f0-f31).
fn csr_regno(csr: usize) -> usize {
    65 + csr
}

#[test]
fn a_debugger_write_to_satp_or_mstatus_flushes_the_translations() {
    let loaded = load_profile("riscv-virt", builtin_registry()).expect("profile loads");
    let mut serial = SerialConfig::default();
    let _ = serial.add("none");
    let mut machine = loaded.realize(&serial).expect("machine builds");
    let cluster = &mut machine.scheduler_mut().clusters_mut()[0];
    let flushes = |c: &dyn chimera_engine::ClusterRun| c.run_stats().mmu_flushes;
    for csr in [0x180, 0x300] {
        let before = flushes(cluster.as_ref());
        let debug = cluster.debug().expect("riscv64 has a debugger view");
        assert!(debug.write_register(0, csr_regno(csr), &0u64.to_le_bytes()));
        assert!(
            flushes(cluster.as_ref()) > before,
            "CSR {csr:#x} written by the debugger left the translations"
        );
    }
}
