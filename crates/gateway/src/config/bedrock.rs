//! Amazon Bedrock settings (reference §3.6 "Bedrock"): region, endpoints and credentials.
//!
//! - `BEDROCK_BASE_URL` is a region (`us-east-1`) or an endpoint URL. The region comes from a
//!   `bedrock-runtime.{region}.amazonaws.com` host, else `AWS_REGION`, `AWS_DEFAULT_REGION`,
//!   or the profile's `region`. The control plane (model list) is the runtime host with
//!   `bedrock-runtime` replaced by `bedrock`; any other endpoint serves both.
//! - Credentials, in the AWS SDKs' order: a Bedrock API key (`BEDROCK_API_KEY` for one
//!   instance, `AWS_BEARER_TOKEN_BEDROCK` for all), `AWS_ACCESS_KEY_ID` +
//!   `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), the shared files' profile
//!   (`AWS_PROFILE`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`), web identity
//!   (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, or the profile's
//!   `web_identity_token_file` + `role_arn`), container credentials
//!   (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`), then EC2 instance metadata
//!   (unless `AWS_EC2_METADATA_DISABLED=true`). Profiles that need `credential_process`, SSO
//!   or `source_profile` role chaining are reported as unsupported, and the chain goes on.

use std::collections::BTreeMap;
use std::path::PathBuf;

use gomodel_providers::aws::{AwsCredentialSource, AwsCredentials};
use gomodel_providers::{BedrockAuth, BedrockSettings, Secret};

use super::source::EnvMap;

/// The ECS task-credentials endpoint a relative URI is appended to.
const ECS_HOST: &str = "http://169.254.170.2";
const IMDS_ENDPOINT: &str = "http://169.254.169.254";

pub fn resolve(
    prefix: &str,
    base_url: Option<&str>,
    api_key: Option<&str>,
    env: &EnvMap,
    warnings: &mut Vec<String>,
) -> Result<BedrockSettings, String> {
    let profiles = Profiles::load(env, warnings);
    let base = base_url.map(str::trim).filter(|b| !b.is_empty());
    let (region, runtime_url) = match base {
        Some(url) if url.contains("://") => {
            let url = url.trim_end_matches('/').to_owned();
            let region = region_of_host(&url)
                .or_else(|| default_region(env, &profiles))
                .ok_or_else(|| format!("cannot tell the AWS region from {url}; set AWS_REGION"))?;
            (region, url)
        }
        Some(region) => (
            region.to_owned(),
            format!("https://bedrock-runtime.{region}.amazonaws.com"),
        ),
        None => {
            let region = default_region(env, &profiles).ok_or_else(|| {
                format!("set {prefix}_BASE_URL to a region such as us-east-1 (or AWS_REGION)")
            })?;
            let url = format!("https://bedrock-runtime.{region}.amazonaws.com");
            (region, url)
        }
    };
    let control_url = runtime_url.replacen("://bedrock-runtime", "://bedrock", 1);
    let auth = match api_key.or(env.get("AWS_BEARER_TOKEN_BEDROCK")) {
        Some(key) if !key.chars().all(|c| c.is_ascii_graphic()) => {
            return Err(
                "the Bedrock API key has characters an HTTP header cannot carry (spaces, newlines or non-ASCII); check BEDROCK_API_KEY / AWS_BEARER_TOKEN_BEDROCK"
                    .to_owned(),
            );
        }
        Some(key) => BedrockAuth::ApiKey(Secret::new(key)),
        None => BedrockAuth::Aws(credential_source(env, &profiles, &region, warnings)?),
    };
    Ok(BedrockSettings {
        region,
        runtime_url,
        control_url,
        auth,
    })
}

/// `bedrock-runtime.us-west-2.amazonaws.com` (or `-fips`) → `us-west-2`.
fn region_of_host(url: &str) -> Option<String> {
    let host = url.split("://").nth(1)?.split(['/', ':']).next()?;
    let mut labels = host.split('.');
    let service = labels.next()?;
    let region = labels.next()?;
    (service.starts_with("bedrock") && host.ends_with(".amazonaws.com")).then(|| region.to_owned())
}

fn default_region(env: &EnvMap, profiles: &Profiles) -> Option<String> {
    env.get("AWS_REGION")
        .or(env.get("AWS_DEFAULT_REGION"))
        .map(str::to_owned)
        .or_else(|| profiles.get("region"))
}

fn credential_source(
    env: &EnvMap,
    profiles: &Profiles,
    region: &str,
    warnings: &mut Vec<String>,
) -> Result<AwsCredentialSource, String> {
    if let (Some(key), Some(secret)) = (
        env.get("AWS_ACCESS_KEY_ID"),
        env.get("AWS_SECRET_ACCESS_KEY"),
    ) {
        return Ok(AwsCredentialSource::Static {
            credentials: AwsCredentials {
                access_key_id: key.to_owned(),
                secret_access_key: Secret::new(secret),
                session_token: env.get("AWS_SESSION_TOKEN").map(Secret::new),
            },
            origin: "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY".to_owned(),
        });
    }
    if let (Some(key), Some(secret)) = (
        profiles.get("aws_access_key_id"),
        profiles.get("aws_secret_access_key"),
    ) {
        return Ok(AwsCredentialSource::Static {
            credentials: AwsCredentials {
                access_key_id: key,
                secret_access_key: Secret::new(secret),
                session_token: profiles.get("aws_session_token").map(Secret::new),
            },
            origin: format!("profile '{}' of the shared AWS files", profiles.name),
        });
    }
    for unsupported in [
        "credential_process",
        "sso_start_url",
        "sso_session",
        "source_profile",
    ] {
        if profiles.get(unsupported).is_some() {
            warnings.push(format!(
                "AWS profile '{}' uses {unsupported}, which this gateway does not run; the credential chain continues without it",
                profiles.name
            ));
        }
    }
    let token_file = env
        .get("AWS_WEB_IDENTITY_TOKEN_FILE")
        .map(str::to_owned)
        .or_else(|| profiles.get("web_identity_token_file"));
    let role_arn = env
        .get("AWS_ROLE_ARN")
        .map(str::to_owned)
        .or_else(|| profiles.get("role_arn"));
    if let (Some(token_file), Some(role_arn)) = (token_file, role_arn) {
        let sts_endpoint = env
            .get("AWS_ENDPOINT_URL_STS")
            .or(env.get("AWS_ENDPOINT_URL"))
            .map_or_else(
                || format!("https://sts.{region}.amazonaws.com/"),
                str::to_owned,
            );
        return Ok(AwsCredentialSource::WebIdentity {
            token_file,
            role_arn,
            session_name: env
                .get("AWS_ROLE_SESSION_NAME")
                .map(str::to_owned)
                .or_else(|| profiles.get("role_session_name"))
                .unwrap_or_else(|| "gomodel".to_owned()),
            sts_endpoint,
        });
    }
    let container = env
        .get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .map(|path| format!("{ECS_HOST}{path}"))
        .or_else(|| {
            env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
                .map(str::to_owned)
        });
    if let Some(url) = container {
        if !container_url_allowed(&url) {
            return Err(format!(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI {url:?} must be https or a loopback or ECS/EKS address"
            ));
        }
        return Ok(AwsCredentialSource::Container {
            url,
            authorization: env
                .get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
                .map(Secret::new),
            authorization_file: env
                .get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
                .map(str::to_owned),
        });
    }
    if env
        .get("AWS_EC2_METADATA_DISABLED")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        return Err(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_BEARER_TOKEN_BEDROCK, or a web identity (instance metadata is disabled)"
                .to_owned(),
        );
    }
    let endpoint = env
        .get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or(IMDS_ENDPOINT)
        .trim_end_matches('/')
        .to_owned();
    // Right on EC2; elsewhere this is why requests fail, so say where the chain ended.
    warnings.push(format!(
        "Bedrock: no AWS credentials in the environment, profile '{}', web identity or container settings; using EC2 instance metadata at {endpoint}",
        profiles.name
    ));
    Ok(AwsCredentialSource::InstanceMetadata { endpoint })
}

/// The SDKs accept container credential URLs over https, or plain http to loopback and the
/// ECS/EKS link-local agents only (credentials must not cross a network in clear text).
/// Userinfo is refused outright: `http://127.0.0.1:1@evil.example/` names `evil.example`.
fn container_url_allowed(url: &str) -> bool {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') || authority.is_empty() {
        return false;
    }
    if scheme == "https" {
        return true;
    }
    if scheme != "http" {
        return false;
    }
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or(authority)
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    matches!(
        host,
        "localhost" | "127.0.0.1" | "[::1]" | "169.254.170.2" | "169.254.170.23" | "[fd00:ec2::23]"
    ) || host.starts_with("127.")
}

/// The selected profile of the shared files: `~/.aws/credentials` (sections `[name]`) over
/// `~/.aws/config` (sections `[profile name]`, and `[default]`).
struct Profiles {
    name: String,
    values: BTreeMap<String, String>,
}

impl Profiles {
    fn load(env: &EnvMap, warnings: &mut Vec<String>) -> Self {
        let name = env.get("AWS_PROFILE").unwrap_or("default").to_owned();
        let home = env.get("HOME").map(PathBuf::from);
        let path = |var: &str, default: &str| {
            env.get(var)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(default)))
        };
        let mut values = BTreeMap::new();
        if let Some(config) = path("AWS_CONFIG_FILE", ".aws/config") {
            let section = if name == "default" {
                "default".to_owned()
            } else {
                format!("profile {name}")
            };
            read_section(&config, &section, &mut values, warnings);
        }
        if let Some(credentials) = path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials") {
            read_section(&credentials, &name, &mut values, warnings);
        }
        if env.get("AWS_PROFILE").is_some() && values.is_empty() {
            warnings.push(format!(
                "AWS_PROFILE names profile '{name}', which neither the credentials nor the config file has"
            ));
        }
        Self { name, values }
    }

    fn get(&self, key: &str) -> Option<String> {
        self.values.get(key).filter(|v| !v.is_empty()).cloned()
    }
}

/// Reads `key = value` lines of `[section]` from an INI file (a missing file is no error).
fn read_section(
    path: &PathBuf,
    section: &str,
    values: &mut BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
        Err(err) => {
            warnings.push(format!("cannot read {}: {err}", path.display()));
            return;
        }
    };
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            continue;
        }
        if inside && let Some((key, value)) = line.split_once('=') {
            values.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_with(pairs: &[(&str, &str)], base: Option<&str>) -> Result<BedrockSettings, String> {
        let env = EnvMap::from_pairs(pairs.iter().copied());
        resolve("BEDROCK", base, None, &env, &mut Vec::new())
    }

    #[test]
    fn region_or_url() {
        let s = resolve_with(
            &[
                ("AWS_ACCESS_KEY_ID", "AKID"),
                ("AWS_SECRET_ACCESS_KEY", "s"),
            ],
            Some("eu-west-1"),
        )
        .unwrap();
        assert_eq!(
            s.runtime_url,
            "https://bedrock-runtime.eu-west-1.amazonaws.com"
        );
        assert_eq!(s.control_url, "https://bedrock.eu-west-1.amazonaws.com");
        let s = resolve_with(
            &[("AWS_BEARER_TOKEN_BEDROCK", "k")],
            Some("https://bedrock-runtime.us-west-2.amazonaws.com/"),
        )
        .unwrap();
        assert_eq!(s.region, "us-west-2");
        assert!(matches!(s.auth, BedrockAuth::ApiKey(_)));
        let s = resolve_with(
            &[
                ("AWS_REGION", "ap-south-1"),
                ("AWS_BEARER_TOKEN_BEDROCK", "k"),
            ],
            Some("http://127.0.0.1:9"),
        )
        .unwrap();
        assert_eq!(
            (s.region.as_str(), s.control_url.as_str()),
            ("ap-south-1", "http://127.0.0.1:9")
        );
        let err = resolve_with(&[("AWS_BEARER_TOKEN_BEDROCK", "k")], None).unwrap_err();
        assert!(err.contains("BEDROCK_BASE_URL"), "{err}");
    }

    #[test]
    fn credential_chain_order() {
        let dir = tempfile::tempdir().unwrap();
        let credentials = dir.path().join("credentials");
        std::fs::write(&credentials, "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=s2\n").unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, "[profile ci]\nregion = us-east-2\n").unwrap();
        let files = [
            ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
            ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ];
        let mut pairs = files.to_vec();
        pairs.push(("AWS_PROFILE", "ci"));
        let s = resolve_with(&pairs, None).unwrap();
        assert_eq!(s.region, "us-east-2");
        let BedrockAuth::Aws(AwsCredentialSource::Static {
            credentials,
            origin,
        }) = s.auth
        else {
            panic!()
        };
        assert_eq!(credentials.access_key_id, "AKIDCI");
        assert!(origin.contains("'ci'"));

        // Keys in the environment win over the profile's.
        let mut with_env_keys = pairs.clone();
        with_env_keys.extend([
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "s3"),
            ("AWS_SESSION_TOKEN", "token"),
        ]);
        let s = resolve_with(&with_env_keys, None).unwrap();
        let BedrockAuth::Aws(AwsCredentialSource::Static {
            credentials,
            origin,
        }) = s.auth
        else {
            panic!()
        };
        assert_eq!(credentials.access_key_id, "AKIDENV");
        assert!(credentials.session_token.is_some());
        assert_eq!(origin, "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY");

        // A profile without keys but with a web identity (EKS IRSA written to the config file).
        std::fs::write(
            &config,
            "[profile irsa]\nregion = eu-central-1\nweb_identity_token_file = /var/run/secrets/token\nrole_arn = arn:aws:iam::1:role/irsa\nrole_session_name = from-profile\n",
        )
        .unwrap();
        let mut irsa = files.to_vec();
        irsa.push(("AWS_PROFILE", "irsa"));
        let s = resolve_with(&irsa, None).unwrap();
        assert_eq!(s.region, "eu-central-1");
        let BedrockAuth::Aws(AwsCredentialSource::WebIdentity {
            token_file,
            role_arn,
            session_name,
            sts_endpoint,
        }) = s.auth
        else {
            panic!("{:?}", s.auth)
        };
        assert_eq!(token_file, "/var/run/secrets/token");
        assert_eq!(role_arn, "arn:aws:iam::1:role/irsa");
        assert_eq!(session_name, "from-profile");
        assert_eq!(sts_endpoint, "https://sts.eu-central-1.amazonaws.com/");
        // Environment keys still come first.
        irsa.extend([
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "s3"),
        ]);
        let s = resolve_with(&irsa, None).unwrap();
        assert!(matches!(
            s.auth,
            BedrockAuth::Aws(AwsCredentialSource::Static { ref credentials, .. })
                if credentials.access_key_id == "AKIDENV"
        ));

        let s = resolve_with(
            &[
                ("AWS_REGION", "us-east-1"),
                ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
                ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
            ],
            None,
        )
        .unwrap();
        assert!(
            matches!(s.auth, BedrockAuth::Aws(AwsCredentialSource::WebIdentity { ref sts_endpoint, .. }) if sts_endpoint == "https://sts.us-east-1.amazonaws.com/")
        );
        let s = resolve_with(
            &[
                ("AWS_REGION", "us-east-1"),
                (
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                    "/v2/credentials/x",
                ),
            ],
            None,
        )
        .unwrap();
        assert!(
            matches!(s.auth, BedrockAuth::Aws(AwsCredentialSource::Container { ref url, .. }) if url == "http://169.254.170.2/v2/credentials/x")
        );
        let err = resolve_with(
            &[
                ("AWS_REGION", "us-east-1"),
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://evil.example/creds",
                ),
            ],
            None,
        )
        .unwrap_err();
        assert!(err.contains("loopback"));
        let s = resolve_with(&[("AWS_REGION", "us-east-1")], None).unwrap();
        assert!(matches!(
            s.auth,
            BedrockAuth::Aws(AwsCredentialSource::InstanceMetadata { .. })
        ));
        assert!(
            resolve_with(
                &[
                    ("AWS_REGION", "us-east-1"),
                    ("AWS_EC2_METADATA_DISABLED", "true")
                ],
                None
            )
            .is_err()
        );
    }
}
