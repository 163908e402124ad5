//! The `openstack_images_image_v2` data source: one Glance image by name and filters;
//! `most_recent` picks the newest when several match.

use crate::OpenStack;
use crate::convert::{bool_attr, number, query, str_attr, string_set, strings_attr, text};
use crate::error::ApiError;
use crate::session::{Service, Session};
use async_trait::async_trait;
use ggplan_sdk::typed::DataSourceType;
use ggplan_sdk::{Attribute, Schema, Type, Value};

pub struct ImageData;

#[async_trait]
impl DataSourceType<OpenStack> for ImageData {
    fn name(&self) -> &'static str {
        "openstack_images_image_v2"
    }

    fn schema(&self) -> Schema {
        let filter = Attribute::optional_computed;
        Schema::new(
            "Finds one Glance image.",
            [
                ("id", Attribute::computed(Type::String)),
                ("name", filter(Type::String)),
                ("visibility", filter(Type::String)),
                ("owner", filter(Type::String)),
                ("status", filter(Type::String)),
                (
                    "tags",
                    Attribute::optional(Type::Set(Box::new(Type::String))),
                ),
                (
                    "most_recent",
                    Attribute::optional(Type::Bool)
                        .describe("Pick the newest image when several match."),
                ),
                ("container_format", Attribute::computed(Type::String)),
                ("disk_format", Attribute::computed(Type::String)),
                ("min_disk_gb", Attribute::computed(Type::Number)),
                ("min_ram_mb", Attribute::computed(Type::Number)),
                ("size_bytes", Attribute::computed(Type::Number)),
                ("checksum", Attribute::computed(Type::String)),
                ("protected", Attribute::computed(Type::Bool)),
                ("created_at", Attribute::computed(Type::String)),
                ("updated_at", Attribute::computed(Type::String)),
                ("file", Attribute::computed(Type::String)),
                ("schema", Attribute::computed(Type::String)),
                (
                    "all_tags",
                    Attribute::computed(Type::Set(Box::new(Type::String))),
                ),
            ],
        )
    }

    async fn read(&self, session: &Session, config: &Value) -> Result<Value, ApiError> {
        let mut pairs = vec![("sort", Some("created_at:desc".to_string()))];
        for name in ["name", "visibility", "owner", "status"] {
            pairs.push((name, str_attr(config, name).map(str::to_string)));
        }
        for tag in strings_attr(config, "tags") {
            pairs.push(("tag", Some(tag)));
        }
        let doc = session
            .get(Service::Image, &format!("/images{}", query(&pairs)))
            .await?;
        let found = doc["images"].as_array().cloned().unwrap_or_default();
        let described: Vec<String> = pairs
            .iter()
            .skip(1)
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        let image = match found.as_slice() {
            [] => {
                return Err(ApiError::Lookup(format!(
                    "Your query returned no results: no image matches {}",
                    described.join(", ")
                )));
            }
            [one] => one,
            [newest, ..] if bool_attr(config, "most_recent") == Some(true) => newest,
            _ => {
                return Err(ApiError::Lookup(format!(
                    "Your query returned more than one result ({} images match {}): set \
                     most_recent = true or use a more specific filter",
                    found.len(),
                    described.join(", ")
                )));
            }
        };
        Ok(Value::object([
            ("id", text(&image["id"])),
            ("name", text(&image["name"])),
            ("visibility", text(&image["visibility"])),
            ("owner", text(&image["owner"])),
            ("status", text(&image["status"])),
            ("tags", config.get("tags").clone()),
            ("most_recent", config.get("most_recent").clone()),
            ("container_format", text(&image["container_format"])),
            ("disk_format", text(&image["disk_format"])),
            ("min_disk_gb", number(&image["min_disk"])),
            ("min_ram_mb", number(&image["min_ram"])),
            ("size_bytes", number(&image["size"])),
            ("checksum", text(&image["checksum"])),
            (
                "protected",
                Value::Bool(image["protected"].as_bool().unwrap_or(false)),
            ),
            ("created_at", text(&image["created_at"])),
            ("updated_at", text(&image["updated_at"])),
            ("file", text(&image["file"])),
            ("schema", text(&image["schema"])),
            ("all_tags", string_set(&image["tags"])),
        ]))
    }
}
