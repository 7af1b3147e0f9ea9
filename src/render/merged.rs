//! Two serializable structs shown to templates as one, as `#[serde(flatten)]`
//! would, but without its cost.
//!
//! `flatten` turns the outer struct into a map with string keys, and Tera 2 keeps
//! every such key as a new shared string: on a record page, with its cross-linked
//! records, that was a few hundred allocations a page. [`Merged`] hands each field
//! to the serializer as a struct field instead, under its `&'static str` name.

use serde::ser::{self, Impossible, Serialize, SerializeStruct, Serializer};

/// The fields of `A`, then those of `B`, as one struct. A name in both keeps its
/// first place and takes `B`'s value, as with `flatten`.
pub struct Merged<'a, A, B>(pub &'a A, pub &'a B);

/// Room for the fields of the largest merge (a record page's view), so the
/// serializer's map is made once.
const FIELDS_HINT: usize = 48;

impl<A: Serialize, B: Serialize> Serialize for Merged<'_, A, B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("Merged", FIELDS_HINT)?;
        self.0.serialize(FieldsInto(&mut fields))?;
        self.1.serialize(FieldsInto(&mut fields))?;
        fields.end()
    }
}

/// A serializer that accepts only a struct, and passes its fields on to `T`.
struct FieldsInto<'s, T>(&'s mut T);

fn not_a_struct<E: ser::Error>() -> E {
    E::custom("only a struct's fields can be merged")
}

impl<T: SerializeStruct> SerializeStruct for FieldsInto<'_, T> {
    type Ok = ();
    type Error = T::Error;

    fn serialize_field<V: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &V,
    ) -> Result<(), T::Error> {
        self.0.serialize_field(key, value)
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), T::Error> {
        self.0.skip_field(key)
    }

    fn end(self) -> Result<(), T::Error> {
        Ok(())
    }
}

impl<'s, T: SerializeStruct> Serializer for FieldsInto<'s, T> {
    type Ok = ();
    type Error = T::Error;
    type SerializeSeq = Impossible<(), T::Error>;
    type SerializeTuple = Impossible<(), T::Error>;
    type SerializeTupleStruct = Impossible<(), T::Error>;
    type SerializeTupleVariant = Impossible<(), T::Error>;
    type SerializeMap = Impossible<(), T::Error>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), T::Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, T::Error> {
        Ok(self)
    }

    fn serialize_bool(self, _: bool) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_i8(self, _: i8) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_i16(self, _: i16) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_i32(self, _: i32) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_i64(self, _: i64) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_u8(self, _: u8) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_u16(self, _: u16) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_u32(self, _: u32) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_u64(self, _: u64) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_f32(self, _: f32) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_f64(self, _: f64) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_char(self, _: char) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_str(self, _: &str) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_none(self) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_some<V: Serialize + ?Sized>(self, _: &V) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_unit(self) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_newtype_struct<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &V,
    ) -> Result<(), T::Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<V: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &V,
    ) -> Result<(), T::Error> {
        Err(not_a_struct())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, T::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, T::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, T::Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, T::Error> {
        Err(not_a_struct())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, T::Error> {
        Err(not_a_struct())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, T::Error> {
        Err(not_a_struct())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Head {
        id: &'static str,
        services: Vec<&'static str>,
    }

    #[derive(Serialize)]
    struct Page {
        services: Vec<&'static str>,
        score: f64,
    }

    #[derive(Serialize)]
    struct Flattened<'a> {
        #[serde(flatten)]
        head: &'a Head,
        #[serde(flatten)]
        page: &'a Page,
    }

    #[test]
    fn merged_fields_are_those_of_flatten_in_the_same_order() {
        let head = Head {
            id: "INC-1",
            services: vec!["api"],
        };
        let page = Page {
            services: vec!["api", "db"],
            score: 0.5,
        };
        let render = |value: tera::Value| {
            let mut context = tera::Context::new();
            context.insert_value("v", value);
            tera::Tera::one_off(
                "{% for k, x in v %}{{ k }}={{ x }};{% endfor %}",
                &context,
                false,
            )
            .expect("render")
        };
        let merged = tera::Value::try_from_serializable(&Merged(&head, &page)).expect("merged");
        let flattened = tera::Value::try_from_serializable(&Flattened {
            head: &head,
            page: &page,
        })
        .expect("flattened");
        assert_eq!(render(merged.clone()), render(flattened));
        assert_eq!(
            render(merged),
            "id=INC-1;services=[\"api\", \"db\"];score=0.5;"
        );
    }

    #[test]
    fn only_structs_merge() {
        let error = tera::Value::try_from_serializable(&Merged(&1, &2)).expect_err("numbers");
        assert!(
            error.to_string().contains("only a struct's fields"),
            "{error}"
        );
    }
}
