// compose-check loads a compose file with the Compose specification's own loader
// (github.com/compose-spec/compose-go/v2): the JSON schema, interpolation, and the
// loader's consistency checks (unknown services in depends_on, undefined volumes...).
// It prints the services it found and exits non-zero on any error. With
// COMPOSE_CHECK_JSON=PATH it also writes the loaded project (interpolated, normalized) there
// as JSON, for checks of what compose would run.
//
//	compose-check FILE [KEY=VALUE...]   KEY=VALUE: environment for interpolation
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check FILE [KEY=VALUE...]")
		os.Exit(2)
	}
	env := []string{}
	for _, kv := range os.Args[2:] {
		if !strings.Contains(kv, "=") {
			fmt.Fprintf(os.Stderr, "compose-check: %q is not KEY=VALUE\n", kv)
			os.Exit(2)
		}
		env = append(env, kv)
	}
	opts, err := cli.NewProjectOptions([]string{os.Args[1]},
		cli.WithEnv(env),
		cli.WithName("remiss"),
		cli.WithResolvedPaths(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "compose-check:", err)
		os.Exit(1)
	}
	if out := os.Getenv("COMPOSE_CHECK_JSON"); out != "" {
		data, err := project.MarshalJSON()
		if err == nil {
			err = os.WriteFile(out, data, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "compose-check:", err)
			os.Exit(1)
		}
	}
	names := project.ServiceNames()
	sort.Strings(names)
	fmt.Printf("compose-check: %s: %d services: %s\n", os.Args[1], len(names), strings.Join(names, " "))
}
