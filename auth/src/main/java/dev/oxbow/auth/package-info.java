/** Authentication building blocks: Oxbow's certificate authority, database login tokens, SCRAM-SHA-256. */
package dev.oxbow.auth;
