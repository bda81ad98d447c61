//! DescribeInstances of the Tencent API 3.0 products: ids or filters, the
//! filters translated into the engine's, a page in the product's order.
//! Lighthouse and CVM share all of it; each names which filters it offers
//! and how it answers a bad value ([`ListingRules`]). A filter a product does
//! not offer is refused before it gets here.

use super::envelope::ApiError;
use super::states::states_named;
use super::validate::{Codes, Filter};
use super::Call;
use serde::Deserialize;
use std::sync::Arc;
use stratus_engine::clock::Timestamp;
use stratus_engine::model::{ChargeType, Instance};
use stratus_engine::ports::{InstanceFilter, InstanceOrder, InstanceQuery, Page};
use stratus_engine::EngineError;

/// How one product's instance listing differs.
#[derive(Debug, Clone, Copy)]
pub struct ListingRules<A> {
    pub codes: &'static Codes,
    pub instance_id: fn(&str, &str) -> Result<(), ApiError>,
    /// The filter names the product offers, and the most values of one.
    pub filters: &'static [&'static str],
    pub filter_values: usize,
    /// The code for an address that is not IPv4 (`None`: addresses are not
    /// checked, they simply match nothing).
    pub bad_ip: Option<&'static str>,
    /// The code for a zone the catalog does not have (`None`: not checked).
    pub bad_zone: Option<&'static str>,
    /// The vendor attribute behind the `project-id` filter, where the
    /// product has one.
    pub project_attribute: &'static str,
    pub error: fn(&EngineError, A) -> ApiError,
}

/// A listing as a request gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listing {
    #[serde(default, rename = "InstanceIds")]
    pub ids: Vec<String>,
    #[serde(default)]
    pub filters: Vec<Filter>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// The requested page of the caller's instances in its region.
pub async fn list<A: Copy>(
    call: &Call<'_, A>,
    rules: &ListingRules<A>,
    listing: Listing,
    order: InstanceOrder,
) -> Result<Page<Arc<Instance>>, ApiError> {
    let codes = rules.codes;
    let Listing {
        ids,
        filters,
        offset,
        limit,
    } = listing;
    codes.not_both(!ids.is_empty(), !filters.is_empty(), "InstanceIds")?;
    codes.ids(&ids, 100, "InstanceIds", rules.instance_id)?;
    codes.filters(&filters, rules.filters, rules.filter_values)?;
    let (offset, limit) = codes.page(offset, limit)?;
    let mut query_filters = Vec::new();
    if !ids.is_empty() {
        query_filters.push(InstanceFilter::Ids(ids));
    }
    for f in filters {
        query_filters.push(instance_filter(call, rules, f)?);
    }
    let query = InstanceQuery {
        account: call.caller.account.clone(),
        product: call.caller.product.clone(),
        region: Some(call.caller.region.clone()),
        filters: query_filters,
        order,
        offset,
        limit,
    };
    call.engine
        .describe_instances(&query)
        .await
        .map_err(|e| (rules.error)(&e, call.action))
}

fn instance_filter<A: Copy>(
    call: &Call<'_, A>,
    rules: &ListingRules<A>,
    f: Filter,
) -> Result<InstanceFilter, ApiError> {
    let values = f.values;
    let time = |values: &[String]| {
        values
            .first()
            .and_then(|v| Timestamp::parse_plain_datetime(v))
            .ok_or_else(|| {
                ApiError::new(
                    "InvalidParameterValue.InvalidTimeFormat",
                    "Times must look like `2023-06-01 00:00:00`.",
                )
            })
    };
    Ok(match f.name.as_str() {
        "instance-id" => InstanceFilter::Ids(values),
        "uuid" => InstanceFilter::Uuids(values),
        "instance-name" => InstanceFilter::NameContains(values),
        "private-ip-address" | "public-ip-address" => {
            if let (Some(code), Some(bad)) = (
                rules.bad_ip,
                values
                    .iter()
                    .find(|v| v.parse::<std::net::Ipv4Addr>().is_err()),
            ) {
                return Err(ApiError::new(
                    code,
                    format!("`{bad}` is not an IPv4 address."),
                ));
            }
            if f.name == "private-ip-address" {
                InstanceFilter::PrivateIps(values)
            } else {
                InstanceFilter::PublicIps(values)
            }
        }
        "zone" => {
            if let Some(code) = rules.bad_zone {
                let product = call
                    .engine
                    .product(&call.caller.product)
                    .map_err(|e| (rules.error)(&e, call.action))?;
                if let Some(bad) = values.iter().find(|z| product.catalog.zone(z).is_none()) {
                    return Err(ApiError::new(
                        code,
                        format!("The zone `{bad}` does not exist."),
                    ));
                }
            }
            InstanceFilter::Zones(values)
        }
        "instance-state" => {
            InstanceFilter::States(values.iter().flat_map(|v| states_named(v)).collect())
        }
        "bundle-id" => InstanceFilter::Plans(values),
        "project-id" => InstanceFilter::Attribute {
            key: rules.project_attribute.into(),
            values,
        },
        "security-group-id" => InstanceFilter::SecurityGroups(values),
        "vpc-id" => InstanceFilter::VpcIds(values),
        "subnet-id" => InstanceFilter::SubnetIds(values),
        "instance-charge-type" => InstanceFilter::ChargeTypes(
            values
                .iter()
                .filter_map(|v| match v.as_str() {
                    "PREPAID" => Some(ChargeType::Prepaid),
                    "POSTPAID_BY_HOUR" => Some(ChargeType::Postpaid),
                    "SPOTPAID" => Some(ChargeType::Spot),
                    _ => None,
                })
                .collect(),
        ),
        "tag-key" => InstanceFilter::TagKeys(values),
        "tag-value" => InstanceFilter::TagValues(values),
        "creation-start-time" => InstanceFilter::CreatedFrom(time(&values)?),
        "creation-end-time" => InstanceFilter::CreatedUntil(time(&values)?),
        // No dedicated hosts, clusters or IPv6 here: nothing matches.
        "host-id" | "dedicated-cluster-id" | "ipv6-address" => InstanceFilter::Ids(Vec::new()),
        name => match name.strip_prefix("tag:") {
            Some(key) => InstanceFilter::Tag {
                key: key.to_string(),
                values,
            },
            // Unreachable past `validate::filters`, answered all the same.
            None => {
                return Err(ApiError::new(
                    rules.codes.filter_name,
                    format!("The filter `{name}` is not supported."),
                ))
            }
        },
    })
}
