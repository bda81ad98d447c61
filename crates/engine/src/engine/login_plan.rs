//! Turning a request's login settings into what an instance stores: a
//! password hash, bound key pairs, or a generated password to be mailed.

use super::{Caller, Engine};
use crate::catalog::OsFamily;
use crate::clock::Timestamp;
use crate::error::EngineError;
use crate::login::hash_password;
use crate::model::{LoginState, Message, MessageKind};
use crate::profile::ProductProfile;

/// Login settings as a request gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginRequest {
    pub password: Option<String>,
    pub key_ids: Vec<String>,
    /// Keep the image's own login settings (custom images).
    pub keep_image_login: bool,
}

/// Login settings resolved for one OS family.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedLogin {
    pub login: LoginState,
    /// A password the engine generated, to be delivered by message.
    pub generated_password: Option<String>,
}

impl ResolvedLogin {
    /// The message that delivers a generated password, if there is one.
    pub fn message(
        &self,
        caller: &Caller,
        instance_id: &str,
        user: &str,
        now: Timestamp,
    ) -> Option<Message> {
        let password = self.generated_password.as_ref()?;
        Some(Message {
            id: uuid::Uuid::new_v4().to_string(),
            account: caller.account.clone(),
            kind: MessageKind::GeneratedPassword,
            instance_id: instance_id.to_string(),
            password: password.clone(),
            subject: format!("Login password of instance {instance_id}"),
            body: format!(
                "The instance {instance_id} was set up by {} with a random password. User name: {user}. Password: {password}",
                caller.action
            ),
            created_at: now,
        })
    }
}

impl Engine {
    /// Checks login settings against the product's rules and the caller's
    /// key pairs, hashing the password or generating one.
    pub(crate) async fn resolve_login(
        &self,
        caller: &Caller,
        profile: &ProductProfile,
        family: OsFamily,
        request: &LoginRequest,
    ) -> Result<ResolvedLogin, EngineError> {
        let has_keys = !request.key_ids.is_empty();
        if request.password.is_some() && has_keys {
            return Err(EngineError::PasswordWithKeys);
        }
        if has_keys {
            if family == OsFamily::Windows && !profile.keys_on_windows {
                return Err(EngineError::KeysOnWindows);
            }
            self.check_batch(caller, crate::error::BatchField::KeyPairs, &request.key_ids)?;
            if request.key_ids.len() > profile.max_keys_per_instance {
                return Err(EngineError::TooManyKeys {
                    max: profile.max_keys_per_instance,
                });
            }
            self.require_key_pairs(caller, &request.key_ids).await?;
        }
        if let Some(password) = &request.password {
            profile
                .passwords
                .rule(family)
                .check(password)
                .map_err(EngineError::InvalidPassword)?;
        }
        let (password, generated) = match &request.password {
            Some(p) => (Some(p.clone()), None),
            None if !has_keys && !request.keep_image_login => {
                let p = profile.passwords.rule(family).generate();
                (Some(p.clone()), Some(p))
            }
            None => (None, None),
        };
        let password_hash = match password {
            Some(p) => Some(
                hash_password(&p)
                    .map_err(|e| EngineError::Internal(e.to_string()))?
                    .into_boxed_str(),
            ),
            None => None,
        };
        Ok(ResolvedLogin {
            login: LoginState {
                password_hash,
                key_ids: request.key_ids.clone(),
                keep_image_login: request.keep_image_login,
            },
            generated_password: generated,
        })
    }
}
