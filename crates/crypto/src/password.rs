//! Password hashing with argon2id.

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Hashes and verifies passwords. Parameters follow OWASP's argon2id
/// minimum (19 MiB, 2 passes, 1 lane); they are stored in each PHC string,
/// so they can be raised later and old hashes still verify.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    dummy: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHasher(argon2id)")
    }
}

impl PasswordHasher {
    pub fn new() -> Result<Self, crate::CryptoError> {
        let params = Params::new(19 * 1024, 2, 1, None).map_err(|_| crate::CryptoError::Random)?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut hasher = PasswordHasher { argon, dummy: String::new() };
        hasher.dummy = hasher.hash("switchboard timing equaliser")?;
        Ok(hasher)
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
    pub fn hash(&self, password: &str) -> Result<String, crate::CryptoError> {
        let salt_bytes = crate::random::array::<16>()?;
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|_| crate::CryptoError::Random)?;
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|_| crate::CryptoError::Random)
    }

    /// Whether `password` matches `phc`. A malformed stored hash (an
    /// account whose password is not set yet holds one on purpose) never
    /// matches, and takes as long to say so as a real hash: otherwise the
    /// answer's speed would tell who has not set a password.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self.argon.verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => {
                self.verify_dummy(password);
                false
            }
        }
    }

    /// Spends the same time as a real verification, for unknown users, so
    /// that response time does not reveal whether an account exists.
    pub fn verify_dummy(&self, password: &str) {
        if let Ok(parsed) = PasswordHash::new(&self.dummy) {
            let _ = self.argon.verify_password(password.as_bytes(), &parsed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = PasswordHasher::new().unwrap();
        let phc = h.hash("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify("correct horse battery staple", &phc));
        assert!(!h.verify("correct horse battery stapl", &phc));
        assert!(!h.verify("correct horse battery staplex", &phc));
        assert!(!h.verify("x", "not a hash"));
        assert_ne!(phc, h.hash("correct horse battery staple").unwrap());
    }

    /// An unusable stored hash costs an argon2 verification like a real
    /// one (measured as the fastest of a few runs of each, with a wide
    /// margin: skipping argon2 is a hundred times faster, not a few).
    #[test]
    fn an_unset_password_takes_as_long_as_a_real_one() {
        let h = PasswordHasher::new().unwrap();
        let phc = h.hash("correct horse battery staple").unwrap();
        let fastest = |stored: &str| {
            (0..3)
                .map(|_| {
                    let t = std::time::Instant::now();
                    assert!(!h.verify("a wrong guess", stored));
                    t.elapsed()
                })
                .min()
                .unwrap()
        };
        let real = fastest(&phc);
        let unset = fastest("!");
        assert!(unset * 4 >= real, "unset {unset:?} vs real {real:?}");
    }
}
