package dev.oxbow.controlplane.resource;

import java.util.List;

/** One page of resources and the token for the next page (null at the end). */
public record ListResult<T>(List<T> items, String nextPageToken) {}
