//! Randomness from the operating system's CSPRNG.

use crate::CryptoError;
use ring::rand::{SecureRandom, SystemRandom};

pub fn fill(buf: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new().fill(buf).map_err(|_| CryptoError::Random)
}

pub fn array<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

/// A fresh version-7 UUID for the given time.
pub fn uuid_v7(unix_ms: i64) -> Result<[u8; 16], CryptoError> {
    let ms = u64::try_from(unix_ms).unwrap_or(0);
    Ok(switchboard_domain::ids::uuid_v7_bytes(ms, array::<10>()?))
}
