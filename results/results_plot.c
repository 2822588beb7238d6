/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results_plot.h"
#include "results_util.h"

#define RES_PLOT_SIZE "960,560"

/* A scratch directory for one plot. */
struct res_gp {
	char dir[64];
	FILE *script;
	char *script_path;
	int ndata;
	char **data;
};

static int res_gp_open(struct res_gp *g, const char *outbase)
{
	char *d;

	memset(g, 0, sizeof(*g));
	snprintf(g->dir, sizeof(g->dir), "/tmp/results-plot.XXXXXX");
	if (mkdtemp(g->dir) == NULL) {
		fprintf(stderr, "results: mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	d = res_xstrdup(outbase);
	if (strrchr(d, '/') != NULL) {
		*strrchr(d, '/') = '\0';
		if (d[0] && res_mkdirs(d) < 0)
			fprintf(stderr, "results: cannot create %s: %s\n", d, strerror(errno));
	}
	free(d);
	g->script_path = res_fmt("%s/plot.gp", g->dir);
	g->script = fopen(g->script_path, "w");
	if (g->script == NULL) {
		fprintf(stderr, "results: %s: %s\n", g->script_path, strerror(errno));
		return -1;
	}
	fprintf(g->script, "set encoding utf8\nset termoption noenhanced\nset grid\n"
			   "set key top left box opaque\n");
	return 0;
}

/* A new data file in the scratch directory; its path stays valid until close. */
static FILE *res_gp_data(struct res_gp *g, const char **path)
{
	char *p = res_fmt("%s/d%d.dat", g->dir, g->ndata);
	FILE *f = fopen(p, "w");

	g->data = res_xrealloc(g->data, (size_t)(g->ndata + 1) * sizeof(*g->data));
	g->data[g->ndata++] = p;
	*path = p;
	return f;
}

/* Write @p s as a single-quoted gnuplot string. */
static void res_gp_str(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s != '\n')
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* Render: the plot commands are in the "body" macro so both terminals share them. */
/* Free the plot's state; @p remove: also delete its script, data and temp dir. */
static void res_gp_done(struct res_gp *g, int remove)
{
	int i;

	if (g->script) {
		fclose(g->script);
		g->script = NULL;
	}
	for (i = 0; i < g->ndata; i++) {
		if (remove)
			unlink(g->data[i]);
		free(g->data[i]);
	}
	if (remove) {
		unlink(g->script_path);
		rmdir(g->dir);
	}
	free(g->data);
	free(g->script_path);
}

static int res_gp_run(struct res_gp *g, const char *outbase)
{
	pid_t pid;
	int st, rc = -1;
	char *svg = res_fmt("%s.svg", outbase);

	fprintf(g->script, "set terminal svg size " RES_PLOT_SIZE
			   " font 'sans,10' noenhanced background '#ffffff'\nset output ");
	res_gp_str(g->script, svg);
	fprintf(g->script, "\nreplot\nset output\n");
	fclose(g->script);
	g->script = NULL;
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		if (devnull >= 0)
			dup2(devnull, 1);
		execlp("gnuplot", "gnuplot", g->script_path, (char *)NULL);
		fprintf(stderr, "results: cannot run gnuplot: %s (apt-get install gnuplot-nox)\n",
			strerror(errno));
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		rc = 0;
	else
		fprintf(stderr, "results: gnuplot failed for %s (script kept in %s)\n", outbase, g->dir);
	res_gp_done(g, rc == 0);	/* a failed script stays for debugging */
	free(svg);
	return rc;
}

/* Start the plot: the PNG is drawn by the plot command, the SVG by a replot. */
static void res_gp_begin(struct res_gp *g, const char *outbase, const char *title)
{
	char *png = res_fmt("%s.png", outbase);

	fprintf(g->script, "set terminal pngcairo size " RES_PLOT_SIZE " font 'sans,10' noenhanced\n"
			   "set output ");
	res_gp_str(g->script, png);
	free(png);
	fprintf(g->script, "\nset title ");
	res_gp_str(g->script, title);
	fputc('\n', g->script);
}

int res_plot_spectrum(const char *outbase, const char *title, const char *const *labels,
		      const struct res_hist *hists, size_t n)
{
	/* Tic labels are format strings to gnuplot: % is written %%. */
	static const char *const tics[] = {"0%%", "50%%", "90%%", "99%%", "99.9%%", "99.99%%",
					   "99.999%%", "99.9999%%", "99.99999%%"};
	struct res_gp g;
	double xmax = 10;
	size_t i, j, drawn = 0;
	const char **paths = res_xcalloc(n, sizeof(*paths));

	if (res_gp_open(&g, outbase) < 0) {
		free(paths);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct res_hist *h = &hists[i];
		FILE *f;
		uint64_t cum = 0;

		if (h->total == 0)
			continue;
		f = res_gp_data(&g, &paths[i]);
		/* A step per bucket: from the fraction below it to the fraction up to it. */
		for (j = 0; j < h->n; j++) {
			double plo = (double)cum / (double)h->total, phi;
			double xlo, xhi;

			cum += h->b[j].count;
			phi = (double)cum / (double)h->total;
			xlo = 1 / (1 - plo);
			xhi = phi >= 1 ? (double)h->total : 1 / (1 - phi);
			if (xhi < xlo)
				xhi = xlo;
			fprintf(f, "%.9g %.6g\n%.9g %.6g\n", xlo, h->b[j].value / 1e3, xhi,
				h->b[j].value / 1e3);
			if (xhi > xmax)
				xmax = xhi;
		}
		fclose(f);
		drawn++;
	}
	if (drawn == 0) {
		fprintf(stderr, "results: %s: no latency histogram to plot\n", title);
		res_gp_done(&g, 1);
		free(paths);
		return -1;
	}
	res_gp_begin(&g, outbase, title);
	fprintf(g.script, "set logscale x\nset xrange [1:%g]\nset xlabel 'percentile'\n"
			  "set ylabel 'latency (us, log scale)'\nset logscale y\nset xtics (", xmax * 1.5);
	for (i = 0; i < sizeof(tics) / sizeof(tics[0]) && pow(10, (double)i - 1) <= xmax * 1.5; i++)
		fprintf(g.script, "%s'%s' %g", i ? ", " : "", tics[i], i == 0 ? 1 : i == 1 ? 2 :
			pow(10, (double)i - 1));
	fprintf(g.script, ")\nplot ");
	for (i = 0, j = 0; i < n; i++) {
		if (paths[i] == NULL)
			continue;
		fprintf(g.script, "%s'%s' using 1:2 with lines lw 2 title ", j++ ? ", " : "", paths[i]);
		res_gp_str(g.script, labels[i]);
	}
	fputc('\n', g.script);
	free(paths);
	return res_gp_run(&g, outbase);
}

int res_plot_timeseries(const char *outbase, const char *title, const struct res_case *c)
{
	struct res_gp g;
	const char **paths = res_xcalloc(c->ns, sizeof(*paths));
	size_t i, j, k = 0;

	if (res_gp_open(&g, outbase) < 0) {
		free(paths);
		return -1;
	}
	for (i = 0; i < c->ns; i++) {
		FILE *f;

		if (c->s[i].nts == 0)
			continue;
		f = res_gp_data(&g, &paths[i]);
		for (j = 0; j < c->s[i].nts; j++) {
			const struct res_tsample *t = &c->s[i].ts[j];

			fprintf(f, "%g %g %g %g %g\n", t->t, t->messages, t->bytes * 8 / 1e9,
				t->p50 / 1e3, t->p99 / 1e3);
		}
		fclose(f);
		k++;
	}
	if (k == 0) {
		fprintf(stderr, "results: %s: no per-second samples to plot\n", title);
		res_gp_done(&g, 1);
		free(paths);
		return -1;
	}
	res_gp_begin(&g, outbase, title);
	fprintf(g.script, "set xlabel 'time (s)'\nset ylabel 'messages/s'\nset y2label 'latency (us)'\n"
			  "set ytics nomirror\nset y2tics\nset yrange [0:*]\nset y2range [0:*]\n"
			  "set key outside right top\nplot ");
	for (i = 0, j = 0; i < c->ns; i++) {
		const char *rep;

		if (paths[i] == NULL)
			continue;
		rep = strrchr(c->s[i].path, '/') ? strrchr(c->s[i].path, '/') + 1 : c->s[i].path;
		fprintf(g.script, "%s'%s' using 1:2 axes x1y1 with linespoints lc %zu pt 7 ps 0.5 title ",
			j ? ", " : "", paths[i], i + 1);
		{
			char *t = res_fmt("%s %s msgs/s", c->s[i].run_id, rep);

			res_gp_str(g.script, t);
			free(t);
		}
		fprintf(g.script, ", '%s' using 1:5 axes x1y2 with lines dt 2 lc %zu title ", paths[i], i + 1);
		{
			char *t = res_fmt("%s %s p99", c->s[i].run_id, rep);

			res_gp_str(g.script, t);
			free(t);
		}
		j++;
	}
	fputc('\n', g.script);
	free(paths);
	return res_gp_run(&g, outbase);
}

int res_plot_trend(const char *outbase, const char *title, const char *ylabel,
		   const char *const *xlabels, size_t nx, const char *const *series,
		   const double *values, size_t nseries, const int *marks)
{
	struct res_gp g;
	const char *path, *mpath = NULL;
	FILE *f;
	size_t i, s;
	int nmarks = 0;

	if (res_gp_open(&g, outbase) < 0)
		return -1;
	f = res_gp_data(&g, &path);
	/* One block per series, separated by two blank lines (gnuplot "index"). */
	for (s = 0; s < nseries; s++) {
		for (i = 0; i < nx; i++) {
			double v = values[s * nx + i];

			if (isnan(v))
				fprintf(f, "\n");
			else
				fprintf(f, "%zu %.9g\n", i, v);
		}
		fprintf(f, "\n\n");
	}
	fclose(f);
	if (marks != NULL) {
		f = res_gp_data(&g, &mpath);
		for (s = 0; s < nseries; s++)
			for (i = 0; i < nx; i++)
				if (marks[s * nx + i] != 0 && !isnan(values[s * nx + i])) {
					fprintf(f, "%zu %.9g %d\n", i, values[s * nx + i], marks[s * nx + i]);
					nmarks++;
				}
		fclose(f);
	}
	res_gp_begin(&g, outbase, title);
	fprintf(g.script, "set ylabel ");
	res_gp_str(g.script, ylabel);
	fprintf(g.script, "\nset bmargin 7\nset xrange [-0.5:%g]\n"
			  "set yrange [0:*]\nset xtics rotate by -30 (", (double)nx - 0.5);
	for (i = 0; i < nx; i++) {
		fprintf(g.script, "%s", i ? ", " : "");
		res_gp_str(g.script, xlabels[i]);
		fprintf(g.script, " %zu", i);
	}
	fprintf(g.script, ")\nset key outside bottom center horizontal\nplot ");
	for (s = 0; s < nseries; s++) {
		fprintf(g.script, "%s'%s' index %zu using 1:2 with linespoints lw 2 pt 7 title ",
			s ? ", " : "", path, s);
		res_gp_str(g.script, series[s]);
	}
	if (nmarks > 0)
		fprintf(g.script, ", '%s' using 1:($3 > 0 ? $2 : 1/0) with points pt 6 ps 3 lw 2 "
				  "lc rgb '#d00000' title 'change point: worse', "
				  "'%s' using 1:($3 < 0 ? $2 : 1/0) with points pt 6 ps 3 lw 2 "
				  "lc rgb '#00a000' title 'change point: better'",
			mpath, mpath);
	fputc('\n', g.script);
	return res_gp_run(&g, outbase);
}

int res_plot_reps(const char *outbase, const char *title, int m, const char *const *labels,
		  const struct res_case *const *cases, size_t n)
{
	struct res_gp g;
	const char *path;
	FILE *f;
	size_t i, j;
	double scale = strcmp(res_metrics[m].unit, "ns") == 0 ? 1e3 : 1;

	if (res_gp_open(&g, outbase) < 0)
		return -1;
	f = res_gp_data(&g, &path);
	for (i = 0; i < n; i++)
		for (j = 0; j < cases[i]->ns; j++)
			if (!isnan(cases[i]->s[j].m[m]))
				fprintf(f, "%zu %.9g\n", i, cases[i]->s[j].m[m] / scale);
	fclose(f);
	res_gp_begin(&g, outbase, title);
	fprintf(g.script, "set ylabel '%s%s'\nset xrange [-0.5:%g]\nset xtics (", res_metrics[m].label,
		scale > 1 ? " (us)" : "", (double)n - 0.5);
	for (i = 0; i < n; i++) {
		fprintf(g.script, "%s", i ? ", " : "");
		res_gp_str(g.script, labels[i]);
		fprintf(g.script, " %zu", i);
	}
	fprintf(g.script, ")\nset yrange [0:*]\nplot '%s' using 1:2 with points pt 7 ps 1.5 "
			  "title 'one repetition'\n", path);
	return res_gp_run(&g, outbase);
}
