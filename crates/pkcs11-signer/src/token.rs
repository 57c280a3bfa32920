//! A token opened by label and logged in once: the place keys are found and generated.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use jose_core::Algorithm;
use ring::rand::SecureRandom as _;

use crate::error::Pkcs11Error;
use crate::key::{AlgSpec, KeyRef};
use crate::module::Module;
use crate::pin::PinSource;
use crate::pool::SessionPool;
use crate::signer::Pkcs11Signer;

/// The default bound of the session pool ([`TokenConfig::with_max_sessions`]).
pub const DEFAULT_MAX_SESSIONS: usize = 8;

/// The length of the random `CKA_ID` given to generated keys.
const GENERATED_ID_LEN: usize = 16;

/// Which module, which token, which PIN: what a server's configuration names.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TokenConfig {
    /// The PKCS#11 module (shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The token's label (`CKA_LABEL` of the token, as `softhsm2-util --init-token --label`).
    pub token_label: String,
    /// Where the user PIN is read from.
    pub pin: PinSource,
    /// The most sessions open at once for signing (at least 1).
    pub max_sessions: usize,
}

impl TokenConfig {
    /// A configuration with [`DEFAULT_MAX_SESSIONS`].
    #[must_use]
    pub fn new(module: impl Into<PathBuf>, token_label: impl Into<String>, pin: PinSource) -> Self {
        Self {
            module: module.into(),
            token_label: token_label.into(),
            pin,
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }

    /// Bounds the session pool (0 counts as 1).
    #[must_use]
    pub fn with_max_sessions(mut self, max_sessions: usize) -> Self {
        self.max_sessions = max_sessions.max(1);
        self
    }
}

/// A logged-in token. Cheap to clone (an `Arc`); `Send + Sync`. Signers made from it keep it
/// open; the login ends when the token and all its signers are dropped.
#[derive(Clone, Debug)]
pub struct Token {
    pub(crate) inner: Arc<TokenInner>,
}

/// Field order is drop order: sessions close before the module can be finalised.
#[derive(Debug)]
pub(crate) struct TokenInner {
    pub(crate) pool: SessionPool,
    /// The session the login happened on; it lives as long as the token, so the login does too.
    /// Object searches and key generation run on it.
    anchor: Mutex<Session>,
    pub(crate) label: String,
    pub(crate) slot: Slot,
    mechanisms: Vec<MechanismType>,
    pub(crate) module: Arc<Module>,
}

impl Token {
    /// Loads the module, finds the token by label, reads the PIN and logs in as the user.
    ///
    /// If this process already holds a logged-in session on the token (another [`Token`] for it
    /// is alive), the token reports `CKR_USER_ALREADY_LOGGED_IN` and the PIN is not checked
    /// again: the login is shared.
    ///
    /// # Errors
    /// [`Pkcs11Error::ModuleLoad`], [`Pkcs11Error::TokenNotFound`],
    /// [`Pkcs11Error::AmbiguousToken`],
    /// [`Pkcs11Error::PinUnavailable`], [`Pkcs11Error::PinIncorrect`],
    /// [`Pkcs11Error::PinLocked`], or [`Pkcs11Error::Token`] for other PKCS#11 failures.
    pub fn open(config: &TokenConfig) -> Result<Self, Pkcs11Error> {
        let module = Module::load(&config.module)?;
        let label = config.token_label.as_str();
        let slot = find_slot(&module, label)?;
        let mechanisms = module
            .context
            .get_mechanism_list(slot)
            .map_err(|e| Pkcs11Error::token(label, "listing mechanisms", &e))?;
        let anchor = module
            .context
            .open_rw_session(slot)
            .map_err(|e| Pkcs11Error::token(label, "opening a session", &e))?;
        let pin = config.pin.read()?;
        match anchor.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                return Err(Pkcs11Error::PinIncorrect {
                    token: label.to_owned(),
                });
            }
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
                return Err(Pkcs11Error::PinLocked {
                    token: label.to_owned(),
                });
            }
            Err(e) => return Err(Pkcs11Error::token(label, "logging in", &e)),
        }
        drop(pin);
        Ok(Self {
            inner: Arc::new(TokenInner {
                pool: SessionPool::new(config.max_sessions),
                anchor: Mutex::new(anchor),
                label: label.to_owned(),
                slot,
                mechanisms,
                module,
            }),
        })
    }

    /// The token's label.
    #[must_use]
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// A signer for the key pair `key` (private and public objects both carrying the label or
    /// id) with `alg`. The key's type and curve are checked against `alg`, the public key is
    /// read, and one test signature is made and verified, so a signer that exists works.
    ///
    /// # Errors
    /// [`Pkcs11Error::AlgorithmUnsupported`], [`Pkcs11Error::MechanismUnsupported`],
    /// [`Pkcs11Error::KeyNotFound`], [`Pkcs11Error::AmbiguousKey`],
    /// [`Pkcs11Error::KeyMismatch`], [`Pkcs11Error::PublicKey`], [`Pkcs11Error::Token`].
    pub fn signer(&self, alg: Algorithm, key: &KeyRef) -> Result<Pkcs11Signer, Pkcs11Error> {
        let spec = AlgSpec::of(alg)?;
        self.require(spec.sign_mechanism, spec.sign_mechanism_name, alg)?;
        let (private, public) = {
            let anchor = self.anchor();
            let private = self.find_one(&anchor, ObjectClass::PRIVATE_KEY, key)?;
            let public = self.find_one(&anchor, ObjectClass::PUBLIC_KEY, key)?;
            self.read_private(&anchor, private, key, &spec)?;
            (private, self.read_public(&anchor, public, key, &spec)?)
        };
        Pkcs11Signer::new(self.clone(), spec, key.clone(), private, public)
    }

    /// The public key of the pair `key`, read from its public object, as a JWK with `alg` set;
    /// no private key or signing mechanism is needed. For verifiers that resolve a key
    /// reference through the token (the `kms-key` method).
    ///
    /// # Errors
    /// [`Pkcs11Error::AlgorithmUnsupported`], [`Pkcs11Error::KeyNotFound`] when no public key
    /// object has the label or id, [`Pkcs11Error::AmbiguousKey`], [`Pkcs11Error::KeyMismatch`]
    /// when the key's type or curve does not fit `alg`, [`Pkcs11Error::PublicKey`],
    /// [`Pkcs11Error::Token`].
    pub fn public_jwk(
        &self,
        alg: Algorithm,
        key: &KeyRef,
    ) -> Result<jose_core::PublicJwk, Pkcs11Error> {
        let spec = AlgSpec::of(alg)?;
        let anchor = self.anchor();
        let public = match self.find_one(&anchor, ObjectClass::PUBLIC_KEY, key) {
            // The only `PublicKey` error of `find_one`: no public object at all.
            Err(Pkcs11Error::PublicKey { .. }) => {
                return Err(Pkcs11Error::KeyNotFound {
                    token: self.inner.label.clone(),
                    key: key.clone(),
                });
            }
            other => other?,
        };
        self.read_public(&anchor, public, key, &spec)
    }

    /// Generates a key pair for `alg` on the token, labelled `label` with a random `CKA_ID`:
    /// both halves `CKA_TOKEN` (persistent), the private half `CKA_PRIVATE`, `CKA_SENSITIVE`,
    /// not `CKA_EXTRACTABLE`, `CKA_SIGN` only. Returns its signer.
    ///
    /// # Errors
    /// [`Pkcs11Error::KeyExists`] when a key already has the label; otherwise as
    /// [`Self::signer`], and [`Pkcs11Error::MechanismUnsupported`] for the key-generation
    /// mechanism.
    pub fn generate(&self, alg: Algorithm, label: &str) -> Result<Pkcs11Signer, Pkcs11Error> {
        let spec = AlgSpec::of(alg)?;
        self.require(spec.sign_mechanism, spec.sign_mechanism_name, alg)?;
        self.require(spec.gen_mechanism, spec.gen_mechanism_name, alg)?;
        let key = KeyRef::label(label);
        let mut id = [0u8; GENERATED_ID_LEN];
        ring::rand::SystemRandom::new()
            .fill(&mut id)
            .map_err(|_| Pkcs11Error::Token {
                token: self.inner.label.clone(),
                operation: "choosing a key id",
                reason: "the system random source failed".into(),
            })?;
        {
            let anchor = self.anchor();
            let existing = anchor
                .find_objects(&[key.attribute()])
                .map_err(|e| self.failed("searching keys", &e))?;
            if !existing.is_empty() {
                return Err(Pkcs11Error::KeyExists {
                    token: self.inner.label.clone(),
                    label: label.to_owned(),
                });
            }
            let common = [
                Attribute::Token(true),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.to_vec()),
            ];
            let mut public = common.to_vec();
            public.extend([
                Attribute::Verify(true),
                Attribute::EcParams(spec.params.to_vec()),
            ]);
            let mut private = common.to_vec();
            private.extend([
                Attribute::Private(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
                Attribute::Sign(true),
                Attribute::Decrypt(false),
                Attribute::Derive(false),
                Attribute::Unwrap(false),
            ]);
            let mechanism = match spec.curve {
                Some(_) => Mechanism::EccKeyPairGen,
                None => Mechanism::EccEdwardsKeyPairGen,
            };
            anchor
                .generate_key_pair(&mechanism, &public, &private)
                .map_err(|e| self.failed("generating a key pair", &e))?;
        }
        self.signer(alg, &key)
    }

    /// The signer of the key labelled `label`, generating the key pair first when the token
    /// holds no private key with that label ("create keys on first use").
    ///
    /// Two processes doing this at once for the same new label may both generate; the label is
    /// then ambiguous and later calls fail with [`Pkcs11Error::AmbiguousKey`]. Create keys from
    /// one process (or beforehand).
    ///
    /// # Errors
    /// As [`Self::signer`] and [`Self::generate`].
    pub fn find_or_generate(
        &self,
        alg: Algorithm,
        label: &str,
    ) -> Result<Pkcs11Signer, Pkcs11Error> {
        match self.signer(alg, &KeyRef::label(label)) {
            Err(Pkcs11Error::KeyNotFound { .. }) => self.generate(alg, label),
            other => other,
        }
    }

    /// How many signing sessions the pool has open (idle or in use).
    #[must_use]
    pub fn open_sessions(&self) -> usize {
        self.inner.pool.open_sessions()
    }

    fn anchor(&self) -> std::sync::MutexGuard<'_, Session> {
        self.inner
            .anchor
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn failed(&self, operation: &'static str, err: &CkError) -> Pkcs11Error {
        Pkcs11Error::token(&self.inner.label, operation, err)
    }

    fn require(
        &self,
        mechanism: MechanismType,
        name: &'static str,
        alg: Algorithm,
    ) -> Result<(), Pkcs11Error> {
        if self.inner.mechanisms.contains(&mechanism) {
            Ok(())
        } else {
            Err(Pkcs11Error::MechanismUnsupported {
                token: self.inner.label.clone(),
                mechanism: name,
                alg,
            })
        }
    }

    fn find_one(
        &self,
        session: &Session,
        class: ObjectClass,
        key: &KeyRef,
    ) -> Result<ObjectHandle, Pkcs11Error> {
        let found = session
            .find_objects(&[Attribute::Class(class), key.attribute()])
            .map_err(|e| self.failed("searching keys", &e))?;
        match found.as_slice() {
            [one] => Ok(*one),
            [] if class == ObjectClass::PRIVATE_KEY => Err(Pkcs11Error::KeyNotFound {
                token: self.inner.label.clone(),
                key: key.clone(),
            }),
            [] => Err(Pkcs11Error::PublicKey {
                token: self.inner.label.clone(),
                key: key.clone(),
                reason: "no public key object with this label or id (CKO_PUBLIC_KEY)",
            }),
            many => Err(Pkcs11Error::AmbiguousKey {
                token: self.inner.label.clone(),
                key: key.clone(),
                count: many.len(),
            }),
        }
    }

    /// Checks the private key's type and `CKA_SIGN`.
    fn read_private(
        &self,
        session: &Session,
        object: ObjectHandle,
        key: &KeyRef,
        spec: &AlgSpec,
    ) -> Result<(), Pkcs11Error> {
        let attributes = session
            .get_attributes(object, &[AttributeType::KeyType, AttributeType::Sign])
            .map_err(|e| self.failed("reading the private key", &e))?;
        let mismatch = |reason| Pkcs11Error::KeyMismatch {
            token: self.inner.label.clone(),
            key: key.clone(),
            alg: spec.alg,
            reason,
        };
        let mut key_type = None;
        let mut can_sign = false;
        for attribute in attributes {
            match attribute {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::Sign(s) => can_sign = s,
                _ => {}
            }
        }
        if key_type != Some(spec.key_type) {
            return Err(mismatch("the key type does not fit the algorithm"));
        }
        if !can_sign {
            return Err(mismatch(
                "the private key does not allow signing (CKA_SIGN)",
            ));
        }
        Ok(())
    }

    /// Reads the public key's curve and point into a JWK with `alg` set.
    fn read_public(
        &self,
        session: &Session,
        object: ObjectHandle,
        key: &KeyRef,
        spec: &AlgSpec,
    ) -> Result<jose_core::PublicJwk, Pkcs11Error> {
        let attributes = session
            .get_attributes(
                object,
                &[
                    AttributeType::KeyType,
                    AttributeType::EcParams,
                    AttributeType::EcPoint,
                ],
            )
            .map_err(|e| self.failed("reading the public key", &e))?;
        let bad = |reason| Pkcs11Error::PublicKey {
            token: self.inner.label.clone(),
            key: key.clone(),
            reason,
        };
        let (mut key_type, mut params, mut point) = (None, None, None);
        for attribute in attributes {
            match attribute {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::EcParams(p) => params = Some(p),
                Attribute::EcPoint(p) => point = Some(p),
                _ => {}
            }
        }
        if key_type != Some(spec.key_type) {
            return Err(Pkcs11Error::KeyMismatch {
                token: self.inner.label.clone(),
                key: key.clone(),
                alg: spec.alg,
                reason: "the public key's type does not fit the algorithm",
            });
        }
        let params = params.ok_or_else(|| bad("no CKA_EC_PARAMS"))?;
        if !spec.params_match(&params) {
            return Err(Pkcs11Error::KeyMismatch {
                token: self.inner.label.clone(),
                key: key.clone(),
                alg: spec.alg,
                reason: "the key's curve (CKA_EC_PARAMS) does not fit the algorithm",
            });
        }
        let point = point.ok_or_else(|| bad("no CKA_EC_POINT"))?;
        let public = spec.public_key(&point).map_err(bad)?;
        Ok(jose_core::PublicJwk::new(public).with_alg(spec.alg))
    }
}

/// The slot whose token has `label`.
fn find_slot(module: &Module, label: &str) -> Result<Slot, Pkcs11Error> {
    let context = &module.context;
    let slots = context
        .get_slots_with_initialized_token()
        .map_err(|e| Pkcs11Error::token("", "listing slots", &e))?;
    let mut available = Vec::new();
    let mut matching = Vec::new();
    for slot in slots {
        let info = context
            .get_token_info(slot)
            .map_err(|e| Pkcs11Error::token("", "reading token information", &e))?;
        if info.label() == label {
            matching.push(slot);
        }
        available.push(info.label().to_owned());
    }
    match matching.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(Pkcs11Error::TokenNotFound {
            label: label.to_owned(),
            available,
        }),
        many => Err(Pkcs11Error::AmbiguousToken {
            label: label.to_owned(),
            count: many.len(),
        }),
    }
}
