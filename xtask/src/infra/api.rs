//! The HTTP API: in the root stack the API itself, its JWT authorizer, its `$default` stage and
//! access logs; in each nested stack the explicit integration, route and invoke permission of each
//! of its HTTP functions (SAM's `HttpApi` event can only name an API of its own template).
//!
//! X-Ray: HTTP APIs have no tracing setting (only REST APIs' stages do); every function behind
//! the API traces actively (`Tracing: Active`), so a trace starts at the function. The API's
//! request id is logged with each request (`X-Correlation-Id` when the caller sends none).
//!
//! The API is a plain `AWS::ApiGatewayV2::Api`, not `AWS::Serverless::HttpApi`: SAM renders the
//! latter as an OpenAPI `Body`, and re-importing a body on update would drop the routes the nested
//! stacks own.

use super::nested::{Refs, Shared};
use super::{CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_S};
use crate::cfn::{V, ga, r, sub};
use crate::map;

/// The JWT authorizer's logical id (also its name).
pub const AUTHORIZER_ID: &str = "CognitoJwtAuthorizer";

pub(super) fn api_resources(res: &mut V) {
    let access_log_format = serde_json::json!({
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLatency": "$context.responseLatency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
        "sub": "$context.authorizer.claims.sub",
    })
    .to_string();
    res.push(
        "ApiAccessLogs",
        map! {
            "Type" => "AWS::Logs::LogGroup",
            "Properties" => map! { "RetentionInDays" => r("LogRetentionDays") },
        },
    );
    res.push(
        "HttpApi",
        map! {
            "Type" => "AWS::ApiGatewayV2::Api",
            "Properties" => map! {
                "Name" => sub("${AWS::StackName}-api"),
                "ProtocolType" => "HTTP",
                "CorsConfiguration" => map! {
                    "AllowOrigins" => V::List(vec![r("SpaOrigin")]),
                    "AllowMethods" => vec!["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                    "AllowHeaders" => CORS_ALLOW_HEADERS.to_vec(),
                    "ExposeHeaders" => CORS_EXPOSE_HEADERS.to_vec(),
                    "MaxAge" => V::from(CORS_MAX_AGE_S),
                },
            },
        },
    );
    res.push(
        AUTHORIZER_ID,
        map! {
            "Type" => "AWS::ApiGatewayV2::Authorizer",
            "Properties" => map! {
                "ApiId" => r("HttpApi"),
                "Name" => "CognitoJwt",
                "AuthorizerType" => "JWT",
                "IdentitySource" => vec!["$request.header.Authorization"],
                "JwtConfiguration" => map! {
                    "Issuer" => sub("https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"),
                    "Audience" => V::List(vec![r("UserPoolClient")]),
                },
            },
        },
    );
    res.push(
        "HttpApiDefaultStage",
        map! {
            "Type" => "AWS::ApiGatewayV2::Stage",
            "Properties" => map! {
                "ApiId" => r("HttpApi"),
                "StageName" => "$default",
                // Routes added by the nested stacks go live without a deployment resource.
                "AutoDeploy" => true,
                "DefaultRouteSettings" => map! {
                    "ThrottlingBurstLimit" => r("ThrottlingBurstLimit"),
                    "ThrottlingRateLimit" => r("ThrottlingRateLimit"),
                },
                "AccessLogSettings" => map! {
                    "DestinationArn" => ga("ApiAccessLogs", "Arn"),
                    "Format" => access_log_format,
                },
            },
        },
    );
}

/// `/api/jobs/{id}` → `/api/jobs/*` (the execute-api ARN's resource path).
fn arn_path(path: &str) -> String {
    path.split('/').map(|s| if s.starts_with('{') { "*" } else { s }).collect::<Vec<_>>().join("/")
}

/// Integration, route (JWT authorizer, or none for a public route) and the permission for API
/// Gateway to invoke the function through exactly this route.
pub(super) fn route_resources(res: &mut V, id: &str, method: &str, path: &str, public: bool, refs: &mut Refs) {
    let api = refs.r(Shared::HttpApiId);
    res.push(
        format!("{id}Integration"),
        map! {
            "Type" => "AWS::ApiGatewayV2::Integration",
            "Properties" => map! {
                "ApiId" => api.clone(),
                "IntegrationType" => "AWS_PROXY",
                "IntegrationUri" => ga(&format!("{id}Function"), "Arn"),
                "PayloadFormatVersion" => "2.0",
            },
        },
    );
    let mut route = map! {
        "ApiId" => api,
        "RouteKey" => format!("{method} {path}"),
        "AuthorizationType" => if public { "NONE" } else { "JWT" },
    };
    if !public {
        route.push("AuthorizerId", refs.r(Shared::AuthorizerId));
    }
    route.push("Target", sub(format!("integrations/${{{id}Integration}}")));
    res.push(format!("{id}Route"), map! { "Type" => "AWS::ApiGatewayV2::Route", "Properties" => route });
    res.push(
        format!("{id}Permission"),
        map! {
            "Type" => "AWS::Lambda::Permission",
            "Properties" => map! {
                "Action" => "lambda:InvokeFunction",
                "FunctionName" => r(&format!("{id}Function")),
                "Principal" => "apigateway.amazonaws.com",
                "SourceArn" => sub(format!(
                    "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{}}}/*/{method}{}",
                    refs.name(Shared::HttpApiId),
                    arn_path(path)
                )),
            },
        },
    );
}
