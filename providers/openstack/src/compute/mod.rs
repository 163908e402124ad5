//! Nova: servers, keypairs and flavors; and Glance images, which servers boot from.

mod flavor;
mod image;
mod instance;
mod keypair;

pub use flavor::FlavorData;
pub use image::ImageData;
pub use instance::Instance;
pub use keypair::Keypair;

use crate::convert::{encode, query};
use crate::error::ApiError;
use crate::session::{Service, Session};
use serde_json::Value as Json;

/// Every flavor the project may use, with details.
async fn flavors(session: &Session) -> Result<Vec<Json>, ApiError> {
    let doc = session
        .get(Service::Compute, "/flavors/detail?is_public=None")
        .await?;
    Ok(doc["flavors"].as_array().cloned().unwrap_or_default())
}

/// The id of the flavor named `name`.
async fn flavor_id_by_name(session: &Session, name: &str) -> Result<String, ApiError> {
    let all = flavors(session).await?;
    let matching: Vec<&Json> = all.iter().filter(|f| f["name"] == name).collect();
    match matching.as_slice() {
        [one] => Ok(one["id"].as_str().unwrap_or_default().to_string()),
        [] => Err(ApiError::Lookup(format!("no flavor is named {name:?}"))),
        _ => Err(ApiError::Lookup(format!(
            "{} flavors are named {name:?}",
            matching.len()
        ))),
    }
}

/// The images named `name` (newest first).
async fn images_named(session: &Session, name: &str) -> Result<Vec<Json>, ApiError> {
    let doc = session
        .get(
            Service::Image,
            &format!(
                "/images{}",
                query(&[
                    ("name", Some(name.to_string())),
                    ("sort", Some("created_at:desc".into()))
                ])
            ),
        )
        .await?;
    Ok(doc["images"].as_array().cloned().unwrap_or_default())
}

/// The id of the one image named `name`.
async fn image_id_by_name(session: &Session, name: &str) -> Result<String, ApiError> {
    let found = images_named(session, name).await?;
    match found.as_slice() {
        [one] => Ok(one["id"].as_str().unwrap_or_default().to_string()),
        [] => Err(ApiError::Lookup(format!("no image is named {name:?}"))),
        _ => Err(ApiError::Lookup(format!(
            "{} images are named {name:?}: use image_id",
            found.len()
        ))),
    }
}

/// The name of the image with id `id` (`None` when it is gone).
async fn image_name(session: &Session, id: &str) -> Result<Option<String>, ApiError> {
    Ok(session
        .get_optional(Service::Image, &format!("/images/{}", encode(id)))
        .await?
        .and_then(|image| image["name"].as_str().map(str::to_string)))
}
