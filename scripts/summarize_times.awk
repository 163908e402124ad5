# Summarizes a bench script's "NAME SECONDS KIB" lines: one Markdown row per step, in the order
# the steps first ran, with the median wall time and the largest peak RSS over the runs.
# `-v first="..."` puts a first column before the step's name (bench.sh: the stack's size).
{
    name = $0; sub(/ [0-9.]+ [0-9]+$/, "", name)
    if (!(name in count)) order[++steps] = name
    secs[name, ++count[name]] = $(NF - 1)
    if ($NF > rss[name]) rss[name] = $NF
}
END {
    for (s = 1; s <= steps; s++) {
        name = order[s]; k = count[name]
        for (i = 1; i <= k; i++) v[i] = secs[name, i]
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        printf "| %s%s | %.2f s | %.0f MiB |\n", (first == "" ? "" : first " | "), name, v[int((k + 1) / 2)], rss[name] / 1024
    }
}
