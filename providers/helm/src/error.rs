//! How a release's failures read as diagnostics: helm's own message (with every secret of the
//! release taken out), placed at the attribute it is about.

use ggplan_provider_kubernetes::error::{KubeError, Place};
use ggplan_sdk::typed::CallError;
use ggplan_sdk::{AttrPath, Diagnostic, Diagnostics};

/// A failed call of a `helm_release`.
#[derive(Debug)]
pub enum HelmError {
    /// The helm binary failed; `message` is its own, redacted.
    Helm {
        what: String,
        message: String,
        attribute: Option<AttrPath>,
    },
    /// The configuration cannot be used as it is.
    Invalid {
        attribute: AttrPath,
        message: String,
    },
    /// A call to the cluster (reading or repairing the release's objects) failed.
    Kube(KubeError),
}

impl HelmError {
    pub fn invalid(attribute: AttrPath, message: impl Into<String>) -> HelmError {
        HelmError::Invalid {
            attribute,
            message: message.into(),
        }
    }
}

impl From<KubeError> for HelmError {
    fn from(error: KubeError) -> HelmError {
        HelmError::Kube(error)
    }
}

impl CallError for HelmError {
    fn into_diagnostics(self, doing: &str) -> Diagnostics {
        match self {
            HelmError::Helm {
                what,
                message,
                attribute,
            } => {
                let diagnostic = Diagnostic::error(format!("{doing}: {what}"), message);
                match attribute {
                    Some(attribute) => diagnostic.at_attribute(attribute).into(),
                    None => diagnostic.into(),
                }
            }
            HelmError::Invalid { attribute, message } => {
                Diagnostic::error(format!("{doing}: {message}"), "")
                    .at_attribute(attribute)
                    .into()
            }
            HelmError::Kube(error) => error.placed(&chart_place()).into_diagnostics(doing),
        }
    }
}

/// Where a failure about one of the release's objects points: the chart that renders it.
fn chart_place() -> Place {
    Place {
        object: AttrPath::attr("chart"),
        take_over: "helm_release takes back the fields its chart sets (helm's \
                    --force-conflicts); another manager's fields that the chart does not set \
                    are left to it.",
    }
}
