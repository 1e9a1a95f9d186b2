use thiserror::Error;

#[derive(Debug, Error)]
pub enum CryptoError {
    #[error("cannot read or write the key file: {0}")]
    KeyFile(#[from] std::io::Error),
    #[error("the key file is malformed at line {line}: {reason}")]
    KeyFileFormat { line: usize, reason: &'static str },
    #[error("the key file {0} is readable by other users; run `chmod 600` on it")]
    InsecurePermissions(String),
    #[error("data key is wrapped by master key {0}, which is not in the key ring")]
    UnknownMasterKey(u32),
    #[error("decryption failed: wrong key, or the data was altered")]
    Integrity,
    #[error("the system random number generator failed")]
    Random,
    #[error("key rotation needs a key file; keys from the environment must be rotated by the operator")]
    RotationNeedsFile,
    #[error("certificate generation failed")]
    Certificate,
    #[error("the VAPID key is unusable: {0}")]
    VapidKey(&'static str),
    #[error("web push: {0}")]
    WebPush(&'static str),
    #[error("a push message holds at most {max} bytes; this one has {len}")]
    PushPayloadTooLarge { len: usize, max: usize },
    #[error("the audit checkpoint key is unusable")]
    CheckpointKey,
}
