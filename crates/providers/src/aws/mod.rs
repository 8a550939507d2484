//! Amazon Web Services plumbing for Bedrock: SigV4 request signing, the credential chain, and
//! the UTC date arithmetic both need.

pub mod clock;
pub mod credentials;
pub mod sigv4;

pub use credentials::{AwsAuth, AwsCredentialSource, AwsCredentials};
