package io.mqttkafka.bridge.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made by the test: a CA, and broker and client certificates it signs, written as PEM files (and
 * PKCS#12 where a broker wants a key store). Broker certificates name {@code IP:127.0.0.1} and {@code DNS:localhost}
 * unless told otherwise. Files are world-readable in a traversable directory: Mosquitto started as root reads them as
 * another user unless configured to stay root.
 */
public final class TestCertificates {

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A certificate and its private key, as PEM files. */
    public record Pem(Path cert, Path key, X509Certificate certificate, KeyPair keys) {
    }

    private final Path directory;
    private final String name;
    private final Pem ca;

    private TestCertificates(Path directory, String name, Pem ca) {
        this.directory = directory;
        this.name = name;
        this.ca = ca;
    }

    /** A new CA called {@code name}, its files in {@code directory} (created if missing). */
    public static TestCertificates newCa(Path directory, String name) {
        try {
            Files.createDirectories(directory);
            KeyPair keys = keyPair();
            X500Name subject = new X500Name("CN=" + name);
            X509v3CertificateBuilder builder = builder(subject, subject, keys, Duration.ofDays(2))
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            X509Certificate certificate = sign(builder, keys);
            return new TestCertificates(directory, name, write(directory, name, certificate, keys));
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("Cannot make a test CA", e);
        }
    }

    public Pem ca() {
        return ca;
    }

    /** A broker certificate for {@code IP:127.0.0.1} and {@code DNS:localhost}. */
    public Pem server(String fileName) {
        return issue(fileName, "broker", List.of(new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.dNSName, "localhost")), KeyPurposeId.id_kp_serverAuth);
    }

    /** A broker certificate that names only {@code dnsName}: the bridge connecting to 127.0.0.1 must refuse it. */
    public Pem serverFor(String fileName, String dnsName) {
        return issue(fileName, dnsName, List.of(new GeneralName(GeneralName.dNSName, dnsName)),
                KeyPurposeId.id_kp_serverAuth);
    }

    /** A client certificate with common name {@code commonName}. */
    public Pem client(String fileName, String commonName) {
        return issue(fileName, commonName, List.of(), KeyPurposeId.id_kp_clientAuth);
    }

    private Pem issue(String fileName, String commonName, List<GeneralName> names, KeyPurposeId purpose) {
        try {
            KeyPair keys = keyPair();
            X509v3CertificateBuilder builder = builder(new X500Name("CN=" + name), new X500Name("CN=" + commonName), keys,
                    Duration.ofDays(1))
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true,
                            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                    .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            if (!names.isEmpty()) {
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)));
            }
            return write(directory, fileName, sign(builder, ca.keys()), keys);
        } catch (GeneralSecurityException | IOException | org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException("Cannot issue a test certificate", e);
        }
    }

    /** {@code pem} as a PKCS#12 key store with {@code password}, e.g. for HiveMQ's TLS listener. */
    public Path pkcs12(Pem pem, String fileName, String password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("key", pem.keys().getPrivate(), password.toCharArray(),
                    new X509Certificate[] {pem.certificate(), ca.certificate()});
            Path file = directory.resolve(fileName);
            try (var out = Files.newOutputStream(file)) {
                store.store(out, password.toCharArray());
            }
            return file;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Cannot write a PKCS#12 key store", e);
        }
    }

    /** A PKCS#12 trust store holding this CA, with {@code password}. */
    public Path trustStore(String fileName, String password) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setCertificateEntry("ca", ca.certificate());
            Path file = directory.resolve(fileName);
            try (var out = Files.newOutputStream(file)) {
                store.store(out, password.toCharArray());
            }
            return file;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("Cannot write a PKCS#12 trust store", e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys, Duration validity) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException {
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    private static Pem write(Path directory, String fileName, X509Certificate certificate, KeyPair keys) throws IOException {
        Path cert = directory.resolve(fileName + ".crt");
        Path key = directory.resolve(fileName + ".key");
        Files.writeString(cert, pem(certificate));
        Files.writeString(key, pem(new JcaPKCS8Generator(keys.getPrivate(), null).generate()));
        return new Pem(cert, key, certificate, keys);
    }

    private static String pem(Object object) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }
}
