/** The Postgres-protocol proxy: TLS, endpoint routing, logins, wake-on-connect. */
package dev.oxbow.proxy;
