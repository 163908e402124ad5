//! The provider configurations of one run, each in an explicit state, and the one door
//! through which every call reaches a provider.

use super::{ProviderInstance, Registry};
use crate::address::{InstanceAddr, ProviderAddr, ResourceAddr};
use crate::config::{Resource, SourceMap};
use crate::locks::locked;
use ggplan_sdk::{
    ApplyRequest, AttrPath, Diagnostic, Diagnostics, FindRequest, Found, PlanRequest, Provider,
    ReadRequest, ResourceKind, Schema, Value, objchange,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::sync::Semaphore;

/// Where a provider configuration stands in a run.
#[derive(Clone)]
enum Configuration {
    /// Configured (at plan time, or during apply once known): calls go through.
    Configured(ProviderInstance),
    /// Its configuration refers to values known only after apply (resources still to be
    /// created): its new resources are planned without it, and the apply configures it once
    /// what it refers to exists ([`Providers::configure_deferred`]).
    Deferred(ProviderInstance),
    /// Its configuration failed; every resource that uses it fails with "not configured".
    Failed,
}

/// What became of a configuration handed to [`Providers::configure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigureOutcome {
    Now,
    DuringApply,
}

/// The provider configurations of one run and the parallelism bound of their calls.
pub struct Providers {
    registry: Registry,
    configurations: Mutex<HashMap<ProviderAddr, Configuration>>,
    /// Held while a deferred configuration is configured during apply, so that it is done
    /// once however many resources wait for it.
    configuring: tokio::sync::Mutex<()>,
    /// At most the run's parallelism of provider calls at once.
    permits: Semaphore,
}

impl Providers {
    pub fn new(registry: Registry, parallelism: usize) -> Providers {
        Providers {
            registry,
            configurations: Mutex::new(HashMap::new()),
            configuring: tokio::sync::Mutex::new(()),
            permits: Semaphore::new(parallelism.max(1)),
        }
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Configures `instance` as `addr` with its evaluated configuration (sensitive marks
    /// allowed), or defers it to the apply when that configuration is not wholly known yet.
    pub async fn configure(
        &self,
        addr: &ProviderAddr,
        instance: ProviderInstance,
        config: &Value,
    ) -> Result<ConfigureOutcome, Diagnostics> {
        if !config.is_wholly_known() {
            self.set(addr, Configuration::Deferred(instance));
            return Ok(ConfigureOutcome::DuringApply);
        }
        let (plain, _) = config.clone().unmark_deep();
        let subject = addr.to_string();
        match logged(
            "configure",
            &subject,
            "provider",
            instance.provider.configure(&plain),
        )
        .await
        {
            Ok(()) => {
                self.set(addr, Configuration::Configured(instance));
                Ok(ConfigureOutcome::Now)
            }
            Err(diagnostics) => {
                self.set(addr, Configuration::Failed);
                Err(diagnostics)
            }
        }
    }

    /// Whether `addr` waits for the apply to be configured.
    pub fn is_deferred(&self, addr: &ProviderAddr) -> bool {
        matches!(self.get(addr), Some(Configuration::Deferred(_)))
    }

    /// Configures a deferred configuration now, with `config` evaluating it (it must be
    /// wholly known by now); nothing for one configured at plan time. Whatever the outcome,
    /// the configuration leaves the deferred state in one step.
    pub async fn configure_deferred(
        &self,
        addr: &ProviderAddr,
        config: impl FnOnce(&ProviderInstance) -> Result<Value, Diagnostics>,
    ) -> Result<(), Diagnostics> {
        if !self.is_deferred(addr) {
            return Ok(());
        }
        let _one_at_a_time = self.configuring.lock().await;
        let Some(Configuration::Deferred(instance)) = self.get(addr) else {
            return Ok(()); // Configured by the task that held the lock before.
        };
        let configured = match config(&instance) {
            Ok(config) => {
                let (plain, _) = config.unmark_deep();
                let subject = addr.to_string();
                logged(
                    "configure",
                    &subject,
                    "provider",
                    instance.provider.configure(&plain),
                )
                .await
            }
            Err(diagnostics) => Err(diagnostics),
        };
        let next = match configured {
            Ok(()) => Configuration::Configured(instance),
            Err(_) => Configuration::Failed,
        };
        self.set(addr, next);
        configured
    }

    /// The door to provider `addr` for the instances of `resource`; an error when the
    /// configuration failed (or never ran) or the provider lacks the type.
    pub fn for_resource(
        &self,
        addr: &ProviderAddr,
        resource: &ResourceAddr,
    ) -> Result<ResourceProvider<'_>, Diagnostics> {
        let (instance, deferred) = match self.get(addr) {
            Some(Configuration::Configured(instance)) => (instance, false),
            Some(Configuration::Deferred(instance)) => (instance, true),
            Some(Configuration::Failed) | None => {
                return Err(Diagnostic::error(
                    format!("Provider {addr} is not configured"),
                    "Its configuration failed or was skipped; see the errors above.",
                )
                .into());
            }
        };
        let schema = instance
            .type_schema(resource.kind, &resource.type_name)
            .cloned()
            .ok_or_else(|| {
                let kind = match resource.kind {
                    ResourceKind::Managed => "resource",
                    ResourceKind::Data => "data source",
                };
                Diagnostic::error(
                    format!("{resource}: unknown type"),
                    format!(
                        "The provider {addr} has no {kind} type {}.",
                        resource.type_name
                    ),
                )
            })?;
        Ok(ResourceProvider {
            permits: &self.permits,
            addr: addr.clone(),
            instance,
            schema,
            type_name: resource.type_name.clone(),
            deferred,
        })
    }

    fn get(&self, addr: &ProviderAddr) -> Option<Configuration> {
        locked(&self.configurations).get(addr).cloned()
    }

    fn set(&self, addr: &ProviderAddr, configuration: Configuration) {
        locked(&self.configurations).insert(addr.clone(), configuration);
    }
}

/// A resource type of one provider configuration: the door every call about the instances
/// of a resource goes through. Each call takes a parallelism permit, sends values without
/// sensitive marks, restores the marks on what comes back ([`ResourceProvider::restore`]),
/// and names the instance in its errors.
pub struct ResourceProvider<'a> {
    permits: &'a Semaphore,
    addr: ProviderAddr,
    instance: ProviderInstance,
    schema: Arc<Schema>,
    type_name: String,
    deferred: bool,
}

/// A provider's plan of one instance.
#[derive(Debug)]
pub struct Planned {
    /// The planned value, with sensitive marks.
    pub value: Value,
    /// The paths whose change forces replacement: the schema's and the provider's.
    pub replace_paths: Vec<AttrPath>,
    /// What the provider wants a reviewer of the plan to know, naming the instance.
    pub warnings: Diagnostics,
}

/// What a create, update or delete left.
#[derive(Debug)]
pub struct Applied {
    /// The object's state, with sensitive marks; `None` when there is none.
    pub new_state: Option<Value>,
    /// Errors (the write failed) or warnings, naming the instance.
    pub diagnostics: Diagnostics,
    /// A create whose answer was lost: the object may exist (see
    /// [`ggplan_sdk::ApplyResponse::outcome_unknown`]).
    pub outcome_unknown: bool,
}

impl ResourceProvider<'_> {
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The provider configuration this door leads to.
    pub fn addr(&self) -> &ProviderAddr {
        &self.addr
    }

    /// Whether the provider is configured only during apply (see [`Configuration::Deferred`]).
    pub fn is_deferred(&self) -> bool {
        self.deferred
    }

    /// The provider's own checks of a resource's configuration, placed in the source.
    pub fn validate(
        &self,
        resource: &Resource,
        config: &Value,
        sources: &SourceMap,
    ) -> Diagnostics {
        self.instance.validate_resource(resource, config, sources)
    }

    /// Places diagnostics about `resource` in its source (see [`ProviderInstance::place`]).
    pub fn place(
        &self,
        resource: &Resource,
        diagnostics: Diagnostics,
        sources: &SourceMap,
    ) -> Diagnostics {
        self.instance.place(resource, diagnostics, sources)
    }

    /// Refreshes one instance; `None` when its object is gone.
    pub async fn read(
        &self,
        inst: &InstanceAddr,
        prior: &Value,
    ) -> Result<Option<Value>, Diagnostics> {
        let provider = self.configured(inst)?;
        let (plain, marks) = prior.clone().unmark_deep();
        let secrets = Secrets::of(&[(&plain, &marks)]);
        let read = {
            let _permit = self.permits.acquire().await;
            let request = ReadRequest {
                type_name: &self.type_name,
                state: &plain,
            };
            logged("read", inst, &self.type_name, provider.read(request)).await
        }
        .map_err(|d| with_context(d, inst, "refreshing", &secrets))?;
        Ok(read.map(|value| self.restore(value, marks, None)))
    }

    /// Plans one instance from its prior value (`None` to create) and configuration.
    pub async fn plan(
        &self,
        inst: &InstanceAddr,
        prior: Option<&Value>,
        config: &Value,
    ) -> Result<Planned, Diagnostics> {
        let provider = self.configured(inst)?;
        let (config_plain, marks) = config.clone().unmark_deep();
        let (prior_plain, prior_marks) = unmarked(prior);
        let secrets = Secrets::of(&[(&config_plain, &marks), (&prior_plain, &prior_marks)]);
        let prior_plain = prior.map(|_| prior_plain);
        let proposed = objchange::proposed_new(&self.schema, prior_plain.as_ref(), &config_plain);
        let response = {
            let _permit = self.permits.acquire().await;
            let request = PlanRequest {
                type_name: &self.type_name,
                prior: prior_plain.as_ref(),
                config: &config_plain,
                proposed: &proposed,
            };
            logged("plan", inst, &self.type_name, provider.plan(request)).await
        }
        .map_err(|d| with_context(d, inst, "planning", &secrets))?;
        let mut replace_paths = match &prior_plain {
            Some(p) => objchange::replace_paths(&self.schema, p, &response.planned),
            None => Vec::new(),
        };
        replace_paths.extend(response.requires_replace);
        replace_paths.sort();
        replace_paths.dedup();
        Ok(Planned {
            value: self.restore(response.planned, marks, Some(config)),
            replace_paths,
            warnings: with_context(response.warnings, inst, "planning", &secrets),
        })
    }

    /// What the configuration alone says of a new instance, for a provider that is not
    /// configured yet: the configuration in the schema's shape, with its marks, everything it
    /// leaves to the provider unknown.
    pub fn proposed_from_config(&self, config: &Value) -> Value {
        let (plain, marks) = config.clone().unmark_deep();
        objchange::proposed_new(&self.schema, None, &plain).mark_paths(&marks)
    }

    /// Reads a data source.
    pub async fn read_data(
        &self,
        inst: &InstanceAddr,
        config: &Value,
    ) -> Result<Value, Diagnostics> {
        let provider = self.configured(inst)?;
        let (plain, marks) = config.clone().unmark_deep();
        let secrets = Secrets::of(&[(&plain, &marks)]);
        let value = {
            let _permit = self.permits.acquire().await;
            let read = provider.read_data(&self.type_name, &plain);
            logged("read_data", inst, &self.type_name, read).await
        }
        .map_err(|d| with_context(d, inst, "reading", &secrets))?;
        Ok(self.restore(value, marks, None))
    }

    /// Creates (`prior` is `None`), updates or deletes (`planned` is `None`) one object.
    pub async fn apply(
        &self,
        inst: &InstanceAddr,
        prior: Option<&Value>,
        planned: Option<&Value>,
        config: &Value,
    ) -> Applied {
        let doing = if planned.is_some() {
            "applying"
        } else {
            "destroying"
        };
        let provider = match self.configured(inst) {
            Ok(provider) => provider,
            Err(diagnostics) => {
                return Applied {
                    new_state: prior.cloned(),
                    diagnostics,
                    outcome_unknown: false,
                };
            }
        };
        let (config_plain, marks) = config.clone().unmark_deep();
        let (prior_plain, prior_marks) = unmarked(prior);
        let secrets = Secrets::of(&[(&config_plain, &marks), (&prior_plain, &prior_marks)]);
        let prior_plain = prior.map(|_| prior_plain);
        let planned_plain = planned.map(|p| p.clone().unmark_deep().0);
        let response = {
            let _permit = self.permits.acquire().await;
            let request = ApplyRequest {
                type_name: &self.type_name,
                prior: prior_plain.as_ref(),
                planned: planned_plain.as_ref(),
                config: &config_plain,
            };
            logged("apply", inst, &self.type_name, provider.apply(request)).await
        };
        Applied {
            new_state: response
                .new_state
                .map(|value| self.restore(value, marks, Some(config))),
            diagnostics: with_context(response.diagnostics, inst, doing, &secrets),
            outcome_unknown: response.outcome_unknown,
        }
    }

    /// Asks the provider for the object an unfinished create of `inst`, begun at `since`,
    /// may have made; a found object carries the configuration's marks.
    pub async fn find_created(
        &self,
        inst: &InstanceAddr,
        config: &Value,
        since: SystemTime,
    ) -> Result<Found, Diagnostics> {
        let provider = self.configured(inst)?;
        let (plain, marks) = config.clone().unmark_deep();
        let secrets = Secrets::of(&[(&plain, &marks)]);
        let found = {
            let _permit = self.permits.acquire().await;
            let request = FindRequest {
                type_name: &self.type_name,
                config: &plain,
                since,
            };
            let find = provider.find_created(request);
            logged("find_created", inst, &self.type_name, find).await
        }
        .map_err(|d| {
            with_context(
                d,
                inst,
                "looking for what an unfinished create made",
                &secrets,
            )
        })?;
        Ok(match found {
            Found::Object(value) => Found::Object(self.restore(value, marks, Some(config))),
            other => other,
        })
    }

    /// Reads the object an import id names into a state (`ggplan import`): the provider's
    /// import reads it (and says when the id finds nothing).
    pub async fn import(&self, inst: &InstanceAddr, id: &str) -> Result<Value, Diagnostics> {
        let provider = self.configured(inst)?;
        let imported = {
            let _permit = self.permits.acquire().await;
            let import = provider.import(&self.type_name, id);
            logged("import", inst, &self.type_name, import).await
        }
        .map_err(|d| with_context(d, inst, "importing", &Secrets(Vec::new())))?;
        Ok(self.restore(imported, Vec::new(), None))
    }

    /// `value` as the engine keeps it: marked where what was sent was (`marks`), where the
    /// schema declares a secret, where the provider marked its answer (a secret the schema
    /// cannot name, such as a Secret's data in a manifest), and, for plans and writes,
    /// wherever it copies a secret of the configuration.
    fn restore(&self, value: Value, mut marks: Vec<AttrPath>, config: Option<&Value>) -> Value {
        let value = if value.contains_sensitive() {
            let (plain, marked_by_provider) = value.unmark_deep();
            marks.extend(marked_by_provider);
            plain
        } else {
            value
        };
        marks.extend(self.schema.sensitive_paths(&value));
        let marked = value.mark_paths(&marks);
        match config {
            Some(config) => objchange::mark_copies(marked, config),
            None => marked,
        }
    }

    /// The provider, unless it waits for the apply to be configured.
    fn configured(&self, inst: &InstanceAddr) -> Result<&dyn Provider, Diagnostics> {
        if self.deferred {
            return Err(Diagnostic::error(
                format!("{inst}: its provider is not configured yet"),
                "This is a bug in ggplan: a provider configured during apply was called before \
                 the apply configured it.",
            )
            .into());
        }
        Ok(self.instance.provider.as_ref())
    }
}

/// Prefixes provider diagnostics with the instance they are about and what was being done.
/// A call's diagnostics, named after its instance and what it was doing, with the secrets it
/// was given left out.
/// Runs one provider call, logged at debug level with its duration and whether it failed
/// (never its values: the log cannot carry a secret).
async fn logged<T: CallOutcome>(
    call: &'static str,
    subject: &(dyn std::fmt::Display + Sync),
    type_name: &str,
    future: impl std::future::Future<Output = T>,
) -> T {
    let started = std::time::Instant::now();
    let outcome = future.await;
    tracing::debug!(
        call,
        subject = %subject,
        r#type = type_name,
        elapsed_us = started.elapsed().as_micros() as u64,
        failed = outcome.failed(),
        "provider call"
    );
    outcome
}

/// Whether a provider call failed, for the log.
trait CallOutcome {
    fn failed(&self) -> bool;
}

impl<T> CallOutcome for Result<T, Diagnostics> {
    fn failed(&self) -> bool {
        self.is_err()
    }
}

impl CallOutcome for ggplan_sdk::ApplyResponse {
    fn failed(&self) -> bool {
        self.diagnostics.has_errors()
    }
}

fn with_context(
    diags: Diagnostics,
    inst: &InstanceAddr,
    doing: &str,
    secrets: &Secrets,
) -> Diagnostics {
    Diagnostics(
        diags
            .0
            .into_iter()
            .map(|mut d| {
                d.summary = secrets.hide(&format!("{inst}: {} (while {doing})", d.summary));
                d.detail = secrets.hide(&d.detail);
                d
            })
            .collect(),
    )
}

/// A value without its marks, and the paths they were at (`Null` and none for no value).
fn unmarked(value: Option<&Value>) -> (Value, Vec<AttrPath>) {
    value.map_or((Value::Null, Vec::new()), |v| v.clone().unmark_deep())
}

/// The strings a call was given at sensitive paths. A provider sees values without marks and
/// may repeat one in an error (a URL, a command line, a server's answer): its diagnostics
/// never quote them. Strings shorter than [`Secrets::SHORTEST`] are not looked for, so that
/// a one-letter secret does not blank every word it appears in.
struct Secrets(Vec<String>);

impl Secrets {
    const SHORTEST: usize = 4;

    fn of(values: &[(&Value, &Vec<AttrPath>)]) -> Secrets {
        let mut found = Vec::new();
        for (value, marks) in values {
            for path in marks.iter() {
                if let Some(marked) = value.at(path) {
                    strings_in(marked, &mut found);
                }
            }
        }
        found.retain(|s| s.len() >= Secrets::SHORTEST);
        // The longest first, so that a secret containing another is hidden whole.
        found.sort_by_key(|s| std::cmp::Reverse(s.len()));
        found.dedup();
        Secrets(found)
    }

    fn hide(&self, text: &str) -> String {
        self.0.iter().fold(text.to_string(), |text, secret| {
            text.replace(secret, "(sensitive value)")
        })
    }
}

fn strings_in(value: &Value, out: &mut Vec<String>) {
    match value.peel() {
        Value::String(s) => out.push(s.clone()),
        Value::List(items) => items.iter().for_each(|v| strings_in(v, out)),
        Value::Map(entries) => entries.values().for_each(|v| strings_in(v, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use ggplan_sdk::{
        ApplyResponse, Attribute, PlanResponse, ProviderFactory, ProviderSchema, Type,
    };
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A provider that counts its configures, refuses `fail = true`, copies `input` into
    /// `output` and fails reads.
    struct Fake {
        configures: Arc<AtomicUsize>,
    }

    #[async_trait]
    impl Provider for Fake {
        fn schema(&self) -> ProviderSchema {
            let thing = Schema::new(
                "thing",
                [
                    ("input", Attribute::optional(Type::String)),
                    ("output", Attribute::computed(Type::String)),
                    ("token", Attribute::computed(Type::String).sensitive()),
                ],
            );
            ProviderSchema {
                resources: [("fake_thing".to_string(), thing)].into(),
                ..ProviderSchema::default()
            }
        }

        async fn configure(&self, config: &Value) -> Result<(), Diagnostics> {
            self.configures.fetch_add(1, Ordering::SeqCst);
            match config.get("fail").as_bool() {
                Some(true) => Err(Diagnostic::error("bad settings", "").into()),
                _ => Ok(()),
            }
        }

        async fn read(&self, _: ReadRequest<'_>) -> Result<Option<Value>, Diagnostics> {
            Err(Diagnostic::error("unreachable", "").into())
        }

        async fn plan(&self, request: PlanRequest<'_>) -> Result<PlanResponse, Diagnostics> {
            let mut planned = request.proposed.clone();
            planned.set_attr("output", request.config.get("input").clone());
            planned.set_attr("token", Value::string("t0ken"));
            Ok(PlanResponse::of(planned))
        }

        async fn apply(&self, request: ApplyRequest<'_>) -> ApplyResponse {
            ApplyResponse::ok(request.planned.cloned())
        }

        async fn read_data(&self, _: &str, _: &Value) -> Result<Value, Diagnostics> {
            Err(Diagnostic::error("no data sources", "").into())
        }
    }

    fn providers() -> (Providers, Arc<AtomicUsize>) {
        let configures = Arc::new(AtomicUsize::new(0));
        let counted = configures.clone();
        let factory = ProviderFactory::new("fake", move || -> Arc<dyn Provider> {
            Arc::new(Fake {
                configures: counted.clone(),
            })
        });
        (Providers::new(Registry::new([factory]), 2), configures)
    }

    fn thing() -> ResourceAddr {
        ResourceAddr::managed("fake_thing", "t")
    }

    fn fake() -> ProviderAddr {
        ProviderAddr::default_of("fake")
    }

    #[tokio::test]
    async fn a_configuration_known_only_after_apply_is_deferred_then_configured_once() {
        let (providers, configures) = providers();
        let instance = providers.registry().instantiate(&fake()).unwrap();
        let unknown = Value::object([("fail", Value::Unknown)]);
        let configured = providers
            .configure(&fake(), instance, &unknown)
            .await
            .unwrap();
        assert_eq!(configured, ConfigureOutcome::DuringApply);
        assert!(
            providers
                .for_resource(&fake(), &thing())
                .unwrap()
                .is_deferred()
        );
        for _ in 0..3 {
            providers
                .configure_deferred(&fake(), |_| {
                    Ok(Value::object([("fail", Value::Bool(false))]))
                })
                .await
                .unwrap();
        }
        assert_eq!(configures.load(Ordering::SeqCst), 1);
        assert!(
            !providers
                .for_resource(&fake(), &thing())
                .unwrap()
                .is_deferred()
        );
    }

    #[tokio::test]
    async fn a_failed_configuration_leaves_every_resource_that_uses_it_without_a_provider() {
        let (providers, _) = providers();
        let instance = providers.registry().instantiate(&fake()).unwrap();
        let failing = Value::object([("fail", Value::Bool(true))]);
        assert!(
            providers
                .configure(&fake(), instance, &failing)
                .await
                .is_err()
        );
        let err = providers.for_resource(&fake(), &thing()).err().unwrap();
        assert_eq!(err.0[0].summary, "Provider fake is not configured");
    }

    #[tokio::test]
    async fn calls_restore_secrets_mark_copies_and_name_the_instance() {
        let (providers, _) = providers();
        let instance = providers.registry().instantiate(&fake()).unwrap();
        providers
            .configure(&fake(), instance, &Value::Null)
            .await
            .unwrap();
        let provider = providers.for_resource(&fake(), &thing()).unwrap();
        let inst = thing().instance(None);
        let config = Value::object([("input", Value::string("s3cret").into_sensitive())]);
        let planned = provider.plan(&inst, None, &config).await.unwrap().value;
        assert!(planned.get("input").is_sensitive());
        // The provider copied the secret into `output`, and the schema marks `token`.
        assert!(planned.get("output").is_sensitive());
        assert!(planned.get("token").is_sensitive());
        let err = provider.read(&inst, &planned).await.unwrap_err();
        assert_eq!(
            err.0[0].summary,
            "fake_thing.t: unreachable (while refreshing)"
        );
    }
}
