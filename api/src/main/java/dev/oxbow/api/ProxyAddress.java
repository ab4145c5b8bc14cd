package dev.oxbow.api;

/**
 * Where clients reach the Postgres proxy, for the console's connection strings: the address it listens
 * on, its port, and the CA certificate file that signs its TLS certificate (for sslrootcert).
 */
public record ProxyAddress(String host, int port, String caCertificate) {}
