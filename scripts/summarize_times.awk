# Summarizes a bench script's "NAME SECONDS KIB" lines: one Markdown row per step, in the order
# the steps first ran, with the median wall time and the largest peak RSS over the runs.
# `-v first="..."` puts a first column before the step's name (bench.sh: the stack's size).
# `-v cpu=1`: the lines are "NAME SECONDS KIB CPU_SECONDS", and a column gives the median CPU
# time (user + system), which a machine shared with other jobs disturbs less than wall time.
{
    name = $0; sub(cpu ? " [0-9.]+ [0-9]+ [0-9.]+$" : " [0-9.]+ [0-9]+$", "", name)
    if (!(name in count)) order[++steps] = name
    k = ++count[name]
    secs[name, k] = cpu ? $(NF - 2) : $(NF - 1)
    kib = cpu ? $(NF - 1) : $NF
    if (cpu) cpus[name, k] = $NF
    if (kib > rss[name]) rss[name] = kib
}
function median(values, name, k,    i, j, t, v) {
    for (i = 1; i <= k; i++) v[i] = values[name, i]
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return v[int((k + 1) / 2)]
}
END {
    for (s = 1; s <= steps; s++) {
        name = order[s]; k = count[name]
        printf "| %s%s | %.2f s |", (first == "" ? "" : first " | "), name, median(secs, name, k)
        if (cpu) printf " %.2f s |", median(cpus, name, k)
        printf " %.0f MiB |\n", rss[name] / 1024
    }
}
