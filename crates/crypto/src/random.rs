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
