// Signatures byte for byte (Standard Webhooks' published vector, seed 001's hex HMAC), encodings, and the
// at-rest cipher.
#include <gtest/gtest.h>

#include "crypto/ed25519.h"
#include "crypto/encoding.h"
#include "crypto/secret_cipher.h"
#include "crypto/signing.h"

namespace hookd {
namespace {

TEST(Signing, StandardWebhooksPublishedTestVector) {
  auto sig = StandardWebhooksSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                       1614265330, R"({"test": 2432232314})");
  ASSERT_TRUE(sig.has_value());
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(Signing, VerifiesAnyEntryOfAMultiSignatureHeader) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string body = R"({"test": 2432232314})";
  const std::string good = *StandardWebhooksSignature(secret, "msg_1", 100, body);
  EXPECT_TRUE(VerifyStandardWebhooksSignature(secret, "msg_1", 100, body, "v1,AAAA " + good));
  EXPECT_FALSE(VerifyStandardWebhooksSignature(secret, "msg_1", 101, body, good));
  EXPECT_FALSE(VerifyStandardWebhooksSignature(secret, "msg_1", 100, body + " ", good));
  EXPECT_FALSE(VerifyStandardWebhooksSignature("whsec_bad!", "msg_1", 100, body, good));
}

TEST(Signing, SeedSignatureIsHexHmacKeyedByTheWholeSecretString) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(SeedSignature("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Signing, AKeyedOnceHmacGivesTheOneShotAnswerForEveryMessage) {
  HmacSha256Key key("Jefe");
  const std::string rfc4231_case2 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  EXPECT_EQ(HexEncode(key.Mac({"what do ya want for nothing?"})), rfc4231_case2);
  EXPECT_EQ(HexEncode(key.Mac({"what do ya ", "", "want for nothing?"})), rfc4231_case2);  // parts concatenated
  EXPECT_EQ(key.Mac({"another message"}), HmacSha256("Jefe", "another message"));
  EXPECT_EQ(HexEncode(key.Mac({"what do ya want for nothing?"})), rfc4231_case2);  // no state carried over
  HmacSha256Key empty("");
  EXPECT_EQ(empty.Mac({"x"}), HmacSha256("", "x"));
}

TEST(Signing, AStandardWebhooksSignerSignsManyMessagesLikeTheOneShotFunction) {
  StandardWebhooksSigner signer("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(signer.valid());
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(signer.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
              "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    EXPECT_EQ(signer.Sign("msg_2", 100 + i, "{}"),
              StandardWebhooksSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_2", 100 + i, "{}"));
  }
  StandardWebhooksSigner invalid("whsec_bad!");
  EXPECT_FALSE(invalid.valid());
  EXPECT_FALSE(invalid.Sign("msg_1", 1, "{}").has_value());
}

TEST(Signing, GeneratedSecretsAreValidAndDistinct) {
  const std::string a = GenerateWebhookSecret();
  const std::string b = GenerateWebhookSecret();
  EXPECT_EQ(a.rfind("whsec_", 0), 0u);
  EXPECT_EQ(Base64Decode(a.substr(6))->size(), 32u);
  EXPECT_TRUE(IsValidWebhookSecret(a));
  EXPECT_NE(a, b);
  EXPECT_FALSE(IsValidWebhookSecret("whsec_"));
  EXPECT_FALSE(IsValidWebhookSecret("sk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
}

TEST(Encoding, Base64RoundTripAndStrictness) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_FALSE(Base64Decode("Zm9v!mFy").has_value());
  EXPECT_FALSE(Base64Decode("Zm9").has_value());
  EXPECT_FALSE(Base64Decode("Z=9v").has_value());
  EXPECT_EQ(HexEncode(std::string("\x00\xff", 2)), "00ff");
}

TEST(Encoding, Sha256OfKnownInput) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SecretCipher, RoundTripsAndDetectsTamperingAndWrongKeys) {
  SecretCipher cipher(std::string(32, 'k'));
  const std::string sealed = cipher.Encrypt("whsec_secret");
  const std::string prefix = "v2:" + SecretCipher::IdOf(std::string(32, 'k')) + ":";
  ASSERT_TRUE(sealed.starts_with(prefix));
  EXPECT_EQ(SecretCipher::SealedKeyId(sealed), cipher.CurrentId());
  EXPECT_EQ(sealed.find("whsec_secret"), std::string::npos);
  EXPECT_NE(sealed, cipher.Encrypt("whsec_secret"));  // fresh nonce every time
  EXPECT_EQ(cipher.Decrypt(sealed).value(), "whsec_secret");
  for (size_t byte : {size_t{0}, size_t{13}, size_t{30}}) {  // nonce, ciphertext, tag
    std::string raw = *Base64Decode(sealed.substr(prefix.size()));
    raw[byte] = static_cast<char>(raw[byte] ^ 0x01);
    EXPECT_FALSE(cipher.Decrypt(prefix + Base64Encode(raw)).has_value()) << byte;
  }
  // A value from before key ids ("v1:") opens under whichever held key seals it.
  EXPECT_EQ(cipher.Decrypt("v1:" + sealed.substr(prefix.size())).value(), "whsec_secret");
  SecretCipher other(std::string(32, 'x'));
  EXPECT_FALSE(other.Decrypt(sealed).has_value());
  EXPECT_FALSE(other.Decrypt("v1:" + sealed.substr(prefix.size())).has_value());
  EXPECT_THROW(SecretCipher(std::string(16, 'k')), std::invalid_argument);
}

TEST(SecretCipher, AKeyRingOpensUnderEveryHeldKeyAndSealsUnderTheCurrentOne) {
  const std::string old_key(32, 'o'), new_key(32, 'n');
  SecretCipher ring(old_key);
  SecretCipher fresh(new_key);
  const std::string under_old = ring.Encrypt("a");
  const std::string under_new = fresh.Encrypt("b");
  EXPECT_FALSE(ring.Decrypt(under_new).has_value());
  EXPECT_FALSE(ring.UseKey(SecretCipher::IdOf(new_key)));  // not held yet
  ring.AddKey(new_key);
  EXPECT_EQ(ring.Decrypt(under_new).value(), "b");
  EXPECT_EQ(ring.CurrentId(), SecretCipher::IdOf(old_key));
  ASSERT_TRUE(ring.UseKey(SecretCipher::IdOf(new_key)));
  EXPECT_EQ(SecretCipher::SealedKeyId(ring.Encrypt("c")), SecretCipher::IdOf(new_key));
  EXPECT_EQ(ring.Decrypt(under_old).value(), "a");
  EXPECT_EQ(ring.Key(SecretCipher::IdOf(old_key)), old_key);
  EXPECT_EQ(SecretCipher::CheckOf(new_key).substr(0, 16), SecretCipher::IdOf(new_key));
}

}  // namespace
// RFC 8032 §7.1, test 1, and the key's RFC 7638 thumbprint from RFC 8037 Appendix A.3.
TEST(Ed25519, SignsAndNamesKeysAsTheRfcsDo) {
  const std::string seed = *Base64Decode("nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
  const Ed25519Key key("whsk_" + Base64Encode(seed));
  ASSERT_TRUE(key.valid());
  EXPECT_EQ(HexEncode(key.public_key()), "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  EXPECT_EQ(HexEncode(key.Sign("")),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0"
            "595bbe24655141438e7a100b");
  EXPECT_EQ(key.key_id(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  EXPECT_EQ(Ed25519PublicKeyText(key.public_key()), "whpk_" + Base64Encode(key.public_key()));
}

TEST(Ed25519, AStandardWebhooksSignerSignsV1aWithAnEd25519Key) {
  const std::string secret = GenerateEd25519Secret();
  EXPECT_TRUE(IsEd25519Secret(secret));
  EXPECT_FALSE(IsEd25519Secret("whsk_" + Base64Encode(std::string(31, 'k'))));
  EXPECT_FALSE(IsValidWebhookSecret(secret));
  StandardWebhooksSigner signer(secret);
  ASSERT_TRUE(signer.valid() && signer.ed25519());
  const std::string signature = *signer.Sign("msg_1", 1700000000, "{}");
  ASSERT_EQ(signature.rfind("v1a,", 0), 0u);
  EXPECT_EQ(*Base64Decode(signature.substr(4)), signer.ed25519()->Sign("msg_1.1700000000.{}"));
  EXPECT_EQ(SigningSchemeOf(secret), kSigningEd25519);
  EXPECT_EQ(SigningSchemeOf(GenerateWebhookSecret()), kSigningHmacSha256);
  EXPECT_FALSE(Ed25519Key("whsec_" + Base64Encode(std::string(32, 'k'))).valid());
}

}  // namespace hookd
