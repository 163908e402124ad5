//! The mlflow provider against a real MLflow tracking server (`tests/support/mlflow.sh start`,
//! which `scripts/test.sh` runs): create, read, update and delete of every resource type, drift
//! made through the REST API behind the provider's back, import, plan-time version checks, the
//! data sources, and the basic-auth server's answers to bad credentials.
//!
//! Every test names its objects uniquely, so tests run in parallel on one server.

use ggplan_sdk::{
    ApplyRequest, Diagnostics, PlanRequest, PlanResponse, Provider, ReadRequest, ResourceKind,
    Value,
};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// An environment variable the test needs; the message says how to get it.
fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: these tests need the MLflow servers of tests/support/mlflow.sh. \
             Run scripts/test.sh, or `tests/support/mlflow.sh start && eval \
             \"$(tests/support/mlflow.sh env)\"` before cargo test."
        )
    })
}

/// A name no other test (or earlier run against the same server) uses.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// Direct REST calls: what a workflow does behind the stack's back.
struct Rest {
    http: reqwest::Client,
    api: String,
    basic: Option<(String, String)>,
}

impl Rest {
    fn plain() -> Rest {
        Rest {
            http: reqwest::Client::new(),
            api: format!("{}/api/2.0/mlflow/", env("GGPLAN_TEST_MLFLOW_URL")),
            basic: None,
        }
    }

    fn admin() -> Rest {
        Rest {
            http: reqwest::Client::new(),
            api: format!("{}/api/2.0/mlflow/", env("GGPLAN_TEST_MLFLOW_AUTH_URL")),
            basic: Some((
                env("GGPLAN_TEST_MLFLOW_ADMIN_USER"),
                env("GGPLAN_TEST_MLFLOW_ADMIN_PASSWORD"),
            )),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        endpoint: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{endpoint}", self.api));
        request = if method == reqwest::Method::GET {
            let query: Vec<(String, String)> = body
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            request.query(&query)
        } else {
            request.json(&body)
        };
        if let Some((user, password)) = &self.basic {
            request = request.basic_auth(user, Some(password));
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{method} {endpoint}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn post(&self, endpoint: &str, body: serde_json::Value) -> serde_json::Value {
        self.send(reqwest::Method::POST, endpoint, body).await
    }

    async fn get(&self, endpoint: &str, query: serde_json::Value) -> serde_json::Value {
        self.send(reqwest::Method::GET, endpoint, query).await
    }

    async fn delete(&self, endpoint: &str, body: serde_json::Value) -> serde_json::Value {
        self.send(reqwest::Method::DELETE, endpoint, body).await
    }

    /// A registered model with `versions` versions (sources need not exist for the registry).
    async fn model_with_versions(&self, name: &str, versions: usize) {
        self.post("registered-models/create", json!({"name": name}))
            .await;
        for i in 0..versions {
            self.post(
                "model-versions/create",
                json!({"name": name, "source": format!("s3://food11/models/{i}")}),
            )
            .await;
        }
    }
}

/// A configured provider.
async fn provider(config: Value) -> Arc<dyn Provider> {
    let provider = (ggplan_provider_mlflow::factory().new)();
    provider.configure(&config).await.expect("configure");
    provider
}

async fn plain_provider() -> Arc<dyn Provider> {
    provider(Value::object([(
        "tracking_uri",
        Value::string(env("GGPLAN_TEST_MLFLOW_URL")),
    )]))
    .await
}

/// Drives the provider as the engine does: validate, plan with the proposed state, apply, read.
struct Driver {
    provider: Arc<dyn Provider>,
    type_name: &'static str,
}

impl Driver {
    fn new(provider: &Arc<dyn Provider>, type_name: &'static str) -> Driver {
        Driver {
            provider: provider.clone(),
            type_name,
        }
    }

    async fn try_plan(
        &self,
        prior: Option<&Value>,
        config: &Value,
    ) -> Result<PlanResponse, Diagnostics> {
        let validation = self
            .provider
            .validate(ResourceKind::Managed, self.type_name, config);
        if validation.has_errors() {
            return Err(validation);
        }
        let schema = self.provider.schema().resources[self.type_name].clone();
        let proposed = ggplan_sdk::objchange::proposed_new(&schema, prior, config);
        self.provider
            .plan(PlanRequest {
                type_name: self.type_name,
                prior,
                config,
                proposed: &proposed,
            })
            .await
    }

    async fn plan(&self, prior: Option<&Value>, config: &Value) -> Value {
        match self.try_plan(prior, config).await {
            Ok(response) => response.planned,
            Err(d) => panic!("plan failed:\n{d}"),
        }
    }

    async fn apply(
        &self,
        prior: Option<&Value>,
        planned: Option<&Value>,
        config: &Value,
    ) -> Option<Value> {
        let response = self
            .provider
            .apply(ApplyRequest {
                type_name: self.type_name,
                prior,
                planned,
                config,
            })
            .await;
        assert!(
            !response.diagnostics.has_errors(),
            "{}",
            response.diagnostics
        );
        response.new_state
    }

    /// Plans and applies `config` over `prior`; the new state.
    async fn converge(&self, prior: Option<&Value>, config: &Value) -> Value {
        let planned = self.plan(prior, config).await;
        let state = self
            .apply(prior, Some(&planned), config)
            .await
            .expect("a state");
        assert!(state.is_wholly_known(), "{state:?}");
        state
    }

    async fn destroy(&self, prior: &Value) {
        let gone = self.apply(Some(prior), None, &Value::Null).await;
        assert_eq!(gone, None);
    }

    async fn read(&self, state: &Value) -> Option<Value> {
        self.provider
            .read(ReadRequest {
                type_name: self.type_name,
                state,
            })
            .await
            .unwrap_or_else(|d| panic!("read failed:\n{d}"))
    }

    async fn import(&self, id: &str) -> Result<Value, Diagnostics> {
        self.provider.import(self.type_name, id).await
    }
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::object(pairs.iter().map(|(k, v)| (*k, Value::string(*v))))
}

#[tokio::test]
async fn registered_model_create_read_update_delete() {
    let p = plain_provider().await;
    let models = Driver::new(&p, "mlflow_registered_model");
    let name = unique("crud-model");
    let config = Value::object([
        ("name", Value::string(&name)),
        ("description", Value::string("Food-11 classifier")),
        ("tags", tags(&[("team", "ml"), ("tier", "gold")])),
    ]);
    let planned = models.plan(None, &config).await;
    assert_eq!(planned.get("id"), &Value::string(&name));
    let state = models.converge(None, &config).await;
    assert_eq!(models.read(&state).await.as_ref(), Some(&state));

    let changed = Value::object([
        ("name", Value::string(&name)),
        ("description", Value::Null),
        ("tags", tags(&[("team", "platform")])),
    ]);
    let state = models.converge(Some(&state), &changed).await;
    let read = models.read(&state).await.unwrap();
    assert_eq!(read, state);
    assert_eq!(read.get("description"), &Value::Null);
    assert_eq!(read.get("tags"), &tags(&[("team", "platform")]));

    models.destroy(&state).await;
    assert_eq!(models.read(&state).await, None);
    // Destroying what is already gone succeeds.
    models.destroy(&state).await;
}

#[tokio::test]
async fn description_and_tag_drift_is_read_and_reverted() {
    let p = plain_provider().await;
    let rest = Rest::plain();
    let models = Driver::new(&p, "mlflow_registered_model");
    let name = unique("drift-model");
    let config = Value::object([
        ("name", Value::string(&name)),
        ("description", Value::string("reviewed")),
        ("tags", tags(&[("team", "ml")])),
    ]);
    let state = models.converge(None, &config).await;

    rest.send(
        reqwest::Method::PATCH,
        "registered-models/update",
        json!({"name": name, "description": "edited in the UI"}),
    )
    .await;
    rest.post(
        "registered-models/set-tag",
        json!({"name": name, "key": "team", "value": "x"}),
    )
    .await;
    rest.post(
        "registered-models/set-tag",
        json!({"name": name, "key": "extra", "value": "y"}),
    )
    .await;
    let drifted = models.read(&state).await.unwrap();
    assert_eq!(
        drifted.get("description"),
        &Value::string("edited in the UI")
    );
    assert_eq!(drifted.get("tags"), &tags(&[("extra", "y"), ("team", "x")]));

    let planned = models.plan(Some(&drifted), &config).await;
    assert_eq!(planned, state, "the plan puts back what the stack says");
    let repaired = models.converge(Some(&drifted), &config).await;
    assert_eq!(models.read(&repaired).await.as_ref(), Some(&state));
    models.destroy(&repaired).await;
}

#[tokio::test]
async fn a_deleted_model_reads_as_gone_and_is_created_again() {
    let p = plain_provider().await;
    let rest = Rest::plain();
    let models = Driver::new(&p, "mlflow_registered_model");
    let aliases = Driver::new(&p, "mlflow_model_alias");
    let name = unique("deleted-model");
    rest.model_with_versions(&name, 1).await;
    let state = models.import(&name).await.unwrap();
    let alias_config = Value::object([
        ("model", Value::string(&name)),
        ("alias", Value::string("production")),
        ("version", Value::string("1")),
    ]);
    let alias = aliases.converge(None, &alias_config).await;

    rest.delete("registered-models/delete", json!({"name": name}))
        .await;
    assert_eq!(models.read(&state).await, None, "the engine plans a create");
    assert_eq!(aliases.read(&alias).await, None);
    let config = Value::object([("name", Value::string(&name))]);
    let state = models.converge(None, &config).await;
    assert_eq!(models.read(&state).await.as_ref(), Some(&state));
    models.destroy(&state).await;
}

#[tokio::test]
async fn an_alias_moved_outside_plans_as_an_update_and_apply_moves_it_back() {
    let p = plain_provider().await;
    let rest = Rest::plain();
    let aliases = Driver::new(&p, "mlflow_model_alias");
    let name = unique("alias-model");
    rest.model_with_versions(&name, 3).await;
    // A number is accepted and converted to MLflow's string form by the schema type.
    let config = |version: &str| {
        Value::object([
            ("model", Value::string(&name)),
            ("alias", Value::string("production")),
            ("version", Value::string(version)),
        ])
    };
    let state = aliases.converge(None, &config("2")).await;
    assert_eq!(
        state.get("id"),
        &Value::string(format!("{name}/production"))
    );
    assert_eq!(aliases.read(&state).await.as_ref(), Some(&state));

    // A workflow re-points the alias behind the stack's back.
    rest.post(
        "registered-models/alias",
        json!({"name": name, "alias": "production", "version": "3"}),
    )
    .await;
    let drifted = aliases.read(&state).await.unwrap();
    assert_eq!(drifted.get("version"), &Value::string("3"));
    let planned = aliases.plan(Some(&drifted), &config("2")).await;
    assert_eq!(planned.get("version"), &Value::string("2"));
    let schema = p.schema().resources["mlflow_model_alias"].clone();
    assert!(
        ggplan_sdk::objchange::replace_paths(&schema, &drifted, &planned).is_empty(),
        "an update, not a replace"
    );
    let repaired = aliases.converge(Some(&drifted), &config("2")).await;
    let now = rest
        .get(
            "registered-models/alias",
            json!({"name": name, "alias": "production"}),
        )
        .await;
    assert_eq!(now["model_version"]["version"], "2");
    assert_eq!(aliases.read(&repaired).await.as_ref(), Some(&state));

    // Promotion: a one-line change of the version is an in-place update.
    let promoted = aliases.converge(Some(&repaired), &config("3")).await;
    assert_eq!(
        aliases.read(&promoted).await.unwrap().get("version"),
        &Value::string("3")
    );

    // Deleted behind the stack's back: gone, so the engine plans a create.
    rest.delete(
        "registered-models/alias",
        json!({"name": name, "alias": "production"}),
    )
    .await;
    assert_eq!(aliases.read(&promoted).await, None);
    let again = aliases.converge(None, &config("3")).await;
    aliases.destroy(&again).await;
    assert_eq!(aliases.read(&again).await, None);
    rest.delete("registered-models/delete", json!({"name": name}))
        .await;
}

#[tokio::test]
async fn a_version_that_does_not_exist_fails_at_plan() {
    let p = plain_provider().await;
    let rest = Rest::plain();
    let aliases = Driver::new(&p, "mlflow_model_alias");
    let name = unique("missing-version");
    rest.model_with_versions(&name, 2).await;
    let config = Value::object([
        ("model", Value::string(&name)),
        ("alias", Value::string("canary")),
        ("version", Value::string("7")),
    ]);
    let err = aliases.try_plan(None, &config).await.unwrap_err();
    let d = &err.0[0];
    assert_eq!(d.summary, format!("Model {name:?} has no version 7"));
    assert!(d.detail.contains("RESOURCE_DOES_NOT_EXIST"), "{d}");
    assert!(d.detail.contains("its latest version is 2"), "{d}");
    assert_eq!(
        d.attribute.as_ref().map(|a| a.to_string()).as_deref(),
        Some("version")
    );

    let no_model = Value::object([
        ("model", Value::string(unique("no-such-model"))),
        ("alias", Value::string("canary")),
        ("version", Value::string("1")),
    ]);
    let err = aliases.try_plan(None, &no_model).await.unwrap_err();
    assert!(err.0[0].detail.contains("does not exist yet"), "{err}");

    // Unknown until apply (a version registered by the same run): nothing to check yet.
    let unknown = Value::object([
        ("model", Value::string(&name)),
        ("alias", Value::string("canary")),
        ("version", Value::Unknown),
    ]);
    let planned = aliases.plan(None, &unknown).await;
    assert_eq!(planned.get("version"), &Value::Unknown);

    let reserved = Value::object([
        ("model", Value::string(&name)),
        ("alias", Value::string("latest")),
        ("version", Value::string("1")),
    ]);
    assert!(aliases.try_plan(None, &reserved).await.is_err());
    rest.delete("registered-models/delete", json!({"name": name}))
        .await;
}

#[tokio::test]
async fn model_version_create_read_update_delete() {
    let p = plain_provider().await;
    let rest = Rest::plain();
    let experiments = Driver::new(&p, "mlflow_experiment");
    let versions = Driver::new(&p, "mlflow_model_version");
    let models = Driver::new(&p, "mlflow_registered_model");
    let name = unique("version-model");
    let model = models
        .converge(None, &Value::object([("name", Value::string(&name))]))
        .await;
    let experiment = experiments
        .converge(
            None,
            &Value::object([("name", Value::string(unique("runs")))]),
        )
        .await;
    let run = rest
        .post(
            "runs/create",
            json!({"experiment_id": experiment.get("id").as_str().unwrap()}),
        )
        .await;
    let run_id = run["run"]["info"]["run_id"].as_str().unwrap().to_string();

    let config = Value::object([
        ("model", Value::string(&name)),
        ("source", Value::string(format!("runs:/{run_id}/model"))),
        ("run_id", Value::string(&run_id)),
        ("description", Value::string("first cut")),
        ("tags", tags(&[("dataset", "food11")])),
    ]);
    let planned = versions.plan(None, &config).await;
    assert_eq!(planned.get("version"), &Value::Unknown);
    let state = versions.converge(None, &config).await;
    assert_eq!(state.get("version"), &Value::string("1"));
    assert_eq!(state.get("status"), &Value::string("READY"));
    assert_eq!(state.get("id"), &Value::string(format!("{name}/1")));
    assert_eq!(versions.read(&state).await.as_ref(), Some(&state));

    let mut changed = config.clone();
    changed.set_at(
        &ggplan_sdk::AttrPath::attr("description"),
        Value::string("tuned"),
    );
    changed.set_at(&ggplan_sdk::AttrPath::attr("tags"), Value::Null);
    let planned = versions.plan(Some(&state), &changed).await;
    assert_eq!(
        planned.get("version"),
        &Value::string("1"),
        "an update keeps the number"
    );
    let updated = versions.converge(Some(&state), &changed).await;
    assert_eq!(versions.read(&updated).await.as_ref(), Some(&updated));
    assert_eq!(updated.get("tags"), &Value::Null);

    let imported = versions.import(&format!("{name}/1")).await.unwrap();
    assert_eq!(imported, updated);

    versions.destroy(&updated).await;
    assert_eq!(versions.read(&updated).await, None);
    models.destroy(&model).await;
    experiments.destroy(&experiment).await;
}

#[tokio::test]
async fn experiment_create_read_rename_retag_delete() {
    let p = plain_provider().await;
    let experiments = Driver::new(&p, "mlflow_experiment");
    let name = unique("food11");
    let config = Value::object([
        ("name", Value::string(&name)),
        ("tags", tags(&[("project", "gourmetgram")])),
    ]);
    let planned = experiments.plan(None, &config).await;
    assert_eq!(planned.get("id"), &Value::Unknown);
    assert_eq!(planned.get("artifact_location"), &Value::Unknown);
    let state = experiments.converge(None, &config).await;
    assert!(state.get("artifact_location").as_str().is_some());
    assert_eq!(experiments.read(&state).await.as_ref(), Some(&state));

    let renamed_to = unique("food11-renamed");
    let changed = Value::object([
        ("name", Value::string(&renamed_to)),
        ("tags", tags(&[("owner", "ml")])),
    ]);
    let planned = experiments.plan(Some(&state), &changed).await;
    assert_eq!(planned.get("id"), state.get("id"), "a rename is an update");
    let renamed = experiments.converge(Some(&state), &changed).await;
    let read = experiments.read(&renamed).await.unwrap();
    assert_eq!(read, renamed);
    assert_eq!(read.get("name"), &Value::string(&renamed_to));

    assert_eq!(experiments.import(&renamed_to).await.unwrap(), renamed);
    let id = renamed.get("id").as_str().unwrap().to_string();
    assert_eq!(experiments.import(&id).await.unwrap(), renamed);

    experiments.destroy(&renamed).await;
    assert_eq!(
        experiments.read(&renamed).await,
        None,
        "a deleted experiment is gone"
    );
}

#[tokio::test]
async fn import_reads_every_resource_type_and_names_missing_ids() {
    let p = plain_provider().await;
    let rest = Rest::plain();
    let name = unique("import-model");
    rest.model_with_versions(&name, 2).await;
    rest.send(
        reqwest::Method::PATCH,
        "registered-models/update",
        json!({"name": name, "description": "imported"}),
    )
    .await;
    rest.post(
        "registered-models/alias",
        json!({"name": name, "alias": "staging", "version": "2"}),
    )
    .await;

    let model = Driver::new(&p, "mlflow_registered_model")
        .import(&name)
        .await
        .unwrap();
    assert_eq!(model.get("description"), &Value::string("imported"));
    let alias = Driver::new(&p, "mlflow_model_alias")
        .import(&format!("{name}/staging"))
        .await
        .unwrap();
    assert_eq!(alias.get("version"), &Value::string("2"));
    let version = Driver::new(&p, "mlflow_model_version")
        .import(&format!("{name}/2"))
        .await
        .unwrap();
    assert_eq!(
        version.get("source"),
        &Value::string("s3://food11/models/1")
    );

    let err = Driver::new(&p, "mlflow_model_alias")
        .import(&format!("{name}/canary"))
        .await
        .unwrap_err();
    assert!(
        err.0[0]
            .summary
            .contains("Cannot import mlflow_model_alias"),
        "{err}"
    );
    assert!(err.0[0].detail.contains("MODEL/ALIAS"), "{err}");
    rest.delete("registered-models/delete", json!({"name": name}))
        .await;
}

#[tokio::test]
async fn data_sources_find_models_and_versions_by_alias() {
    let p = plain_provider().await;
    let rest = Rest::plain();
    let name = unique("data-model");
    rest.model_with_versions(&name, 3).await;
    for (alias, version) in [("production", "2"), ("canary", "3")] {
        rest.post(
            "registered-models/alias",
            json!({"name": name, "alias": alias, "version": version}),
        )
        .await;
    }
    let model = p
        .read_data(
            "mlflow_registered_model",
            &Value::object([("name", Value::string(&name))]),
        )
        .await
        .unwrap();
    assert_eq!(
        model.get("aliases"),
        &tags(&[("canary", "3"), ("production", "2")])
    );
    assert_eq!(model.get("latest_version"), &Value::string("3"));

    let lookup = |version: Value, alias: Value| {
        Value::object([
            ("model", Value::string(&name)),
            ("version", version),
            ("alias", alias),
        ])
    };
    let prod = p
        .read_data(
            "mlflow_model_version",
            &lookup(Value::Null, Value::string("production")),
        )
        .await
        .unwrap();
    assert_eq!(prod.get("version"), &Value::string("2"));
    assert_eq!(prod.get("source"), &Value::string("s3://food11/models/1"));
    let by_number = p
        .read_data(
            "mlflow_model_version",
            &lookup(Value::string("3"), Value::Null),
        )
        .await
        .unwrap();
    assert_eq!(
        by_number.get("aliases"),
        &Value::List(vec![Value::string("canary")])
    );

    let err = p
        .read_data(
            "mlflow_model_version",
            &lookup(Value::Null, Value::string("staging")),
        )
        .await
        .unwrap_err();
    assert!(err.0[0].summary.contains("no alias \"staging\""), "{err}");
    let err = p
        .read_data(
            "mlflow_registered_model",
            &Value::object([("name", Value::string(unique("absent")))]),
        )
        .await
        .unwrap_err();
    assert!(
        err.0[0].summary.contains("RESOURCE_DOES_NOT_EXIST"),
        "{err}"
    );
    rest.delete("registered-models/delete", json!({"name": name}))
        .await;
}

#[tokio::test]
async fn basic_auth_bad_credentials_name_the_user_never_the_password() {
    let url = env("GGPLAN_TEST_MLFLOW_AUTH_URL");
    let wrong = "not-the-password-4711";
    let p = provider(Value::object([
        ("tracking_uri", Value::string(&url)),
        ("username", Value::string("admin")),
        ("password", Value::string(wrong)),
    ]))
    .await;
    let models = Driver::new(&p, "mlflow_registered_model");
    let name = unique("auth-model");
    let config = Value::object([("name", Value::string(&name))]);
    let planned = models.plan(None, &config).await;
    let response = p
        .apply(ApplyRequest {
            type_name: "mlflow_registered_model",
            prior: None,
            planned: Some(&planned),
            config: &config,
        })
        .await;
    assert_eq!(response.new_state, None);
    let text = response.diagnostics.to_string();
    assert!(text.contains("refused the credentials"), "{text}");
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("username \"admin\""), "{text}");
    assert!(
        text.contains(&format!("creating registered model {name:?}")),
        "{text}"
    );
    assert!(!text.contains(wrong), "the password leaked: {text}");

    // No credentials at all: the message says so.
    let anonymous = provider(Value::object([("tracking_uri", Value::string(&url))])).await;
    let err = anonymous
        .read(ReadRequest {
            type_name: "mlflow_registered_model",
            state: &config,
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no credentials"), "{err}");

    // The right credentials work; a READ-only user is denied changes with a 403 that says so.
    let admin = Rest::admin();
    let password = env("GGPLAN_TEST_MLFLOW_ADMIN_PASSWORD");
    let good = provider(Value::object([
        ("tracking_uri", Value::string(&url)),
        ("username", Value::string("admin")),
        ("password", Value::string(&password)),
    ]))
    .await;
    let admin_models = Driver::new(&good, "mlflow_registered_model");
    let state = admin_models.converge(None, &config).await;

    let reader = unique("reader");
    let reader_password = "reader-password-0123";
    admin
        .post(
            "users/create",
            json!({"username": reader, "password": reader_password}),
        )
        .await;
    let as_reader = provider(Value::object([
        ("tracking_uri", Value::string(&url)),
        ("username", Value::string(&reader)),
        ("password", Value::string(reader_password)),
    ]))
    .await;
    let described = Value::object([
        ("name", Value::string(&name)),
        ("description", Value::string("not yours")),
    ]);
    let response = as_reader
        .apply(ApplyRequest {
            type_name: "mlflow_registered_model",
            prior: Some(&state),
            planned: Some(&described),
            config: &described,
        })
        .await;
    let text = response.diagnostics.to_string();
    assert!(text.contains("denied permission"), "{text}");
    assert!(text.contains("HTTP 403"), "{text}");
    assert!(text.contains(&format!("username {reader:?}")), "{text}");
    assert!(!text.contains(reader_password), "{text}");
    assert_eq!(
        response.new_state.as_ref(),
        Some(&state),
        "a failed update keeps the prior state"
    );
    admin_models.destroy(&state).await;
}
