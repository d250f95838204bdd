//! The process exit codes of `chimera`.

use chimera_engine::{ExitRequest, RunOutcome};

/// The emulator could not do what was asked: bad input, a failed build,
/// an internal error.
pub const EMULATOR_ERROR: u8 = 125;

/// Every CPU waits for an interrupt and nothing can ever send one, or a
/// CPU traps on and on without retiring an instruction.
pub const GUEST_HUNG: u8 = 124;

/// The exit code for how a run ended: the guest's own code when it gave
/// one, 0 for a clean power-off or a limit the user set.
pub fn for_outcome(outcome: &RunOutcome) -> u8 {
    match outcome {
        RunOutcome::Exit(ExitRequest::Exit(code)) => (*code & 0xff) as u8,
        RunOutcome::Exit(
            ExitRequest::PowerOff | ExitRequest::Quit | ExitRequest::Stop | ExitRequest::Debug,
        ) => 0,
        RunOutcome::InsnLimit | RunOutcome::TimeLimit => 0,
        RunOutcome::Idle | RunOutcome::TrapStorm { .. } => GUEST_HUNG,
        RunOutcome::Exit(ExitRequest::Reset | ExitRequest::Error(_)) => EMULATOR_ERROR,
    }
}
