package dev.oxbow.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code oxbow completion}: a bash/zsh completion script; {@code source <(oxbow completion)}. */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = "Print the bash/zsh completion script: source <(oxbow completion).")
final class CompletionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().print(AutoComplete.bash("oxbow", spec.root().commandLine()));
    }
}
