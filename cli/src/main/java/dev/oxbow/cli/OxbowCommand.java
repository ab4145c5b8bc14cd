package dev.oxbow.cli;
public class OxbowCommand { public static void main(String[] a) {} }
