//! MiniMax requires `temperature` in (0, 1]: GoModel replaces values <= 0 with 1.0; we also
//! clamp values above 1 to 1.0 rather than let the provider reject the request (reference §3.3
//! "MiniMax"). <https://platform.minimax.io/docs/api-reference/text-openai-api>

use gomodel_protocol::JsonObject;
use gomodel_protocol::json_object::encode_value;

use crate::provider::RequestAdjustments;

pub(super) fn clamp_temperature(body: &mut JsonObject<'_>, adjustments: &mut RequestAdjustments) {
    let Some(temperature) = body.get_f64("temperature") else {
        return;
    };
    if temperature > 0.0 && temperature <= 1.0 {
        return;
    }
    body.set_raw("temperature", encode_value(&1.0));
    adjustments.notes.push(format!(
        "temperature {temperature} clamped to 1.0 for MiniMax"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_out_of_range_temperature() {
        for (input, expected) in [("0", "1.0"), ("-1", "1.0"), ("1.7", "1.0"), ("0.3", "0.3")] {
            let text = format!(r#"{{"temperature":{input}}}"#);
            let mut body = JsonObject::parse(text.as_bytes()).unwrap();
            clamp_temperature(&mut body, &mut RequestAdjustments::default());
            assert_eq!(body.get("temperature").unwrap().get(), expected);
        }
    }
}
