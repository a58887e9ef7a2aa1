//! Argon2id for the passphrase factor, calibrated per machine at creation.

use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use zeroize::Zeroizing;

use crate::{Passphrase, VaultError};

/// Argon2id cost, stored in the vault header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KdfCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfCost {
    /// The floor: never less than 64 MiB and 3 passes. A header asking for
    /// less is refused, so an edited header cannot weaken the slot.
    pub const MINIMUM: KdfCost = KdfCost {
        memory_kib: 64 * 1024,
        iterations: 3,
        parallelism: 1,
    };
    /// Calibration stops growing memory here (1 GiB) and adds passes instead.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// The ceiling: a header asking for more is refused (an edited header
    /// must not make unlocking exhaust memory or run for hours).
    pub const MAX_ACCEPTED_MEMORY_KIB: u32 = 4 * 1024 * 1024;
    pub const MAX_ACCEPTED_ITERATIONS: u32 = 64;
    pub const MAX_ACCEPTED_PARALLELISM: u32 = 16;
    /// What creation aims for on the creating machine.
    pub const TARGET: Duration = Duration::from_millis(500);

    /// Checks the cost against the floor and the ceiling.
    pub fn check_floor(&self) -> Result<(), VaultError> {
        if self.memory_kib > Self::MAX_ACCEPTED_MEMORY_KIB
            || self.iterations > Self::MAX_ACCEPTED_ITERATIONS
            || self.parallelism > Self::MAX_ACCEPTED_PARALLELISM
        {
            return Err(VaultError::HeaderInvalid(format!(
                "Argon2id cost m={} KiB t={} p={} is above what Matterbox accepts (m={} KiB, t={}, p={})",
                self.memory_kib,
                self.iterations,
                self.parallelism,
                Self::MAX_ACCEPTED_MEMORY_KIB,
                Self::MAX_ACCEPTED_ITERATIONS,
                Self::MAX_ACCEPTED_PARALLELISM
            )));
        }
        if self.memory_kib < Self::MINIMUM.memory_kib
            || self.iterations < Self::MINIMUM.iterations
            || self.parallelism < 1
        {
            return Err(VaultError::HeaderInvalid(format!(
                "Argon2id cost m={} KiB t={} p={} is below the minimum m={} KiB t={}",
                self.memory_kib,
                self.iterations,
                self.parallelism,
                Self::MINIMUM.memory_kib,
                Self::MINIMUM.iterations
            )));
        }
        Ok(())
    }

    /// Stretches the passphrase into 32 bytes.
    pub fn stretch(
        &self,
        passphrase: &Passphrase,
        salt: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, VaultError> {
        self.check_floor()?;
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| VaultError::HeaderInvalid(format!("Argon2id parameters: {e}")))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase.expose().as_bytes(), salt, out.as_mut())
            .map_err(|e| VaultError::HeaderInvalid(format!("Argon2id: {e}")))?;
        Ok(out)
    }

    /// Picks a cost that takes about `target` on this machine, never below
    /// [`KdfCost::MINIMUM`]. Measures, rescales and measures again (large
    /// allocations do not scale quite linearly). Returns the cost and the
    /// time its last run took.
    pub fn calibrate(target: Duration) -> Result<(KdfCost, Duration), VaultError> {
        let probe = Passphrase::new("calibration probe".into());
        let salt = [0u8; 16];
        let mut cost = Self::MINIMUM;
        let mut took = time(&cost, &probe, &salt)?;
        for _ in 0..4 {
            let ratio = took.as_secs_f64() / target.as_secs_f64();
            if (0.8..=1.25).contains(&ratio) {
                break;
            }
            let next = scale_for_target(cost, took, target);
            if next == cost {
                break;
            }
            cost = next;
            took = time(&cost, &probe, &salt)?;
        }
        Ok((cost, took))
    }
}

fn time(cost: &KdfCost, probe: &Passphrase, salt: &[u8]) -> Result<Duration, VaultError> {
    let start = Instant::now();
    cost.stretch(probe, salt)?;
    Ok(start.elapsed())
}

/// Argon2 time grows about linearly with memory × passes. Rescales `current`
/// (which took `took`) to take `target`: memory first, in whole MiB between
/// the floor and 1 GiB, then passes; never below [`KdfCost::MINIMUM`].
pub fn scale_for_target(current: KdfCost, took: Duration, target: Duration) -> KdfCost {
    if took.is_zero() {
        return current;
    }
    let min = KdfCost::MINIMUM;
    let work = f64::from(current.memory_kib) * f64::from(current.iterations);
    let wanted = work * target.as_secs_f64() / took.as_secs_f64();
    let memory_kib = ((wanted / f64::from(min.iterations)).clamp(
        f64::from(min.memory_kib),
        f64::from(KdfCost::MAX_MEMORY_KIB),
    ) as u32)
        / 1024
        * 1024;
    let memory_kib = memory_kib.max(min.memory_kib);
    let iterations = ((wanted / f64::from(memory_kib)).round() as u32).max(min.iterations);
    KdfCost {
        memory_kib,
        iterations,
        parallelism: current.parallelism,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(took_ms: u64, target_ms: u64, expect: (u32, u32)) {
        let got = scale_for_target(
            KdfCost::MINIMUM,
            Duration::from_millis(took_ms),
            Duration::from_millis(target_ms),
        );
        assert_eq!(
            (got.memory_kib / 1024, got.iterations),
            expect,
            "took {took_ms} ms"
        );
    }

    #[test]
    fn scaling_table() {
        // A slow machine keeps the floor.
        check(900, 500, (64, 3));
        check(5000, 500, (64, 3));
        check(500, 500, (64, 3));
        // A fast one gets more memory.
        check(250, 500, (128, 3));
        check(125, 500, (256, 3));
        // A very fast one caps memory at 1 GiB and adds passes.
        check(20, 500, (1024, 5));
    }

    #[test]
    fn an_overshoot_scales_back_down() {
        let big = KdfCost {
            memory_kib: 512 * 1024,
            iterations: 3,
            parallelism: 1,
        };
        let got = scale_for_target(big, Duration::from_millis(1000), Duration::from_millis(500));
        assert_eq!((got.memory_kib / 1024, got.iterations), (256, 3));
    }

    #[test]
    fn headers_below_the_floor_are_refused() {
        let weak = KdfCost {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        assert!(weak.check_floor().is_err());
        assert!(
            weak.stretch(&Passphrase::new("x".repeat(12)), &[0; 16])
                .is_err()
        );
        assert!(KdfCost::MINIMUM.check_floor().is_ok());
        let huge = KdfCost {
            memory_kib: u32::MAX,
            iterations: 3,
            parallelism: 1,
        };
        assert!(huge.check_floor().is_err());
        let endless = KdfCost {
            memory_kib: 65536,
            iterations: u32::MAX,
            parallelism: 1,
        };
        assert!(endless.check_floor().is_err());
    }

    #[test]
    fn stretch_depends_on_passphrase_and_salt() {
        let c = KdfCost::MINIMUM;
        let a = c
            .stretch(&Passphrase::new("first passphrase".into()), &[1; 16])
            .unwrap();
        let b = c
            .stretch(&Passphrase::new("second passphrase".into()), &[1; 16])
            .unwrap();
        let a2 = c
            .stretch(&Passphrase::new("first passphrase".into()), &[2; 16])
            .unwrap();
        assert_ne!(*a, *b);
        assert_ne!(*a, *a2);
    }
}
