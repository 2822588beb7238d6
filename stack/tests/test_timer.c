/* SPDX-License-Identifier: BSD-3-Clause */
/* Timer heap: ordering, re-arm, cancel, growth, callbacks that re-arm themselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "timer.h"

#define N 1000

static struct tpa_timer_heap heap;
static struct tpa_timer timers[N];
static uint64_t fired_at[N * 4];
static int fired_idx[N * 4];
static int nr_fired;

static void on_fire(struct tpa_timer *t, uint64_t now)
{
	fired_idx[nr_fired] = (int)(t - timers);
	fired_at[nr_fired] = t->expire ? t->expire : now;	/* expire is cleared before the call */
	nr_fired++;
}

static int setup(void **state)
{
	(void)state;
	nr_fired = 0;
	assert_int_equal(tpa_timer_heap_init(&heap, 4), 0);	/* small: forces growth */
	for (int i = 0; i < N; i++)
		tpa_timer_init(&timers[i], on_fire);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tpa_timer_heap_free(&heap);
	return 0;
}

/* Checks the heap property and every index back-pointer. */
static void check_heap(void)
{
	for (uint32_t i = 0; i < heap.nr; i++) {
		assert_int_equal(heap.h[i]->heap_idx, (int32_t)i);
		if (i)
			assert_true(heap.h[(i - 1) / 2]->expire <= heap.h[i]->expire);
	}
}

static void test_fires_in_order(void **state)
{
	uint64_t want[N];

	(void)state;
	srand(7);
	for (int i = 0; i < N; i++) {
		want[i] = 1 + (uint64_t)(rand() % 5000);
		tpa_timer_set(&heap, &timers[i], want[i]);
	}
	check_heap();
	assert_int_equal(heap.nr, N);
	assert_int_equal(tpa_timer_run(&heap, 0), 0);
	/* run in steps; each run fires exactly what is due */
	for (uint64_t now = 0; now <= 5000; now += 250) {
		int before = nr_fired;
		int n = tpa_timer_run(&heap, now);
		assert_int_equal(n, nr_fired - before);
		for (int k = before; k < nr_fired; k++)
			assert_true(want[fired_idx[k]] <= now);
		check_heap();
		if (heap.nr)
			assert_true(tpa_timer_next(&heap) > now);
	}
	assert_int_equal(nr_fired, N);
	for (int k = 1; k < nr_fired; k++)	/* non-decreasing deadlines */
		assert_true(want[fired_idx[k - 1]] <= want[fired_idx[k]]);
	for (int i = 0; i < N; i++) {
		assert_int_equal(timers[i].heap_idx, -1);
		assert_int_equal(timers[i].expire, 0);
	}
	assert_int_equal(tpa_timer_next(&heap), UINT64_MAX);
}

static void test_rearm_and_cancel(void **state)
{
	(void)state;
	for (int i = 0; i < 10; i++)
		tpa_timer_set(&heap, &timers[i], 100 + (uint64_t)i * 10);
	tpa_timer_set(&heap, &timers[0], 500);	/* later */
	tpa_timer_set(&heap, &timers[9], 5);	/* earlier */
	tpa_timer_set(&heap, &timers[5], 0);	/* cancel */
	tpa_timer_set(&heap, &timers[5], 0);	/* cancel twice: harmless */
	tpa_timer_set(&heap, &timers[3], 130);	/* same deadline: a no-op */
	check_heap();
	assert_int_equal(heap.nr, 9);
	assert_int_equal(timers[5].heap_idx, -1);
	assert_int_equal(tpa_timer_next(&heap), 5);
	assert_int_equal(tpa_timer_run(&heap, 5), 1);
	assert_int_equal(fired_idx[0], 9);
	assert_int_equal(tpa_timer_run(&heap, 180), 7);	/* 1,2,3,4,6,7,8 */
	for (int k = 1; k < nr_fired; k++)
		assert_true(fired_idx[k] != 5 && fired_idx[k] != 0);
	assert_int_equal(tpa_timer_next(&heap), 500);
	assert_int_equal(tpa_timer_run(&heap, 499), 0);
	assert_int_equal(tpa_timer_run(&heap, 500), 1);
	assert_int_equal(fired_idx[nr_fired - 1], 0);
	assert_int_equal(heap.nr, 0);
}

/* Removing from the middle keeps the heap valid (sift up or down as needed). */
static void test_random_cancel_keeps_heap(void **state)
{
	(void)state;
	srand(11);
	for (int i = 0; i < N; i++)
		tpa_timer_set(&heap, &timers[i], 1 + (uint64_t)(rand() % 100000));
	for (int r = 0; r < 3000; r++) {
		int i = rand() % N;
		uint64_t e = (rand() % 4) ? 1 + (uint64_t)(rand() % 100000) : 0;
		tpa_timer_set(&heap, &timers[i], e);
		if (r % 100 == 0)
			check_heap();
	}
	check_heap();
	{
		uint32_t armed = 0;
		for (int i = 0; i < N; i++)
			armed += timers[i].heap_idx >= 0;
		assert_int_equal(armed, heap.nr);
	}
	tpa_timer_run(&heap, UINT64_MAX - 1);
	for (int k = 1; k < nr_fired; k++)
		assert_true(fired_at[k - 1] <= fired_at[k]);
}

static struct tpa_timer self_rearm;
static int self_runs;

static void rearm_fn(struct tpa_timer *t, uint64_t now)
{
	self_runs++;
	if (self_runs < 3)
		tpa_timer_set(&heap, t, now + 10);	/* in the future: not run again in this call */
}

static void test_callback_rearms_itself(void **state)
{
	(void)state;
	self_runs = 0;
	tpa_timer_init(&self_rearm, rearm_fn);
	tpa_timer_set(&heap, &self_rearm, 10);
	assert_int_equal(tpa_timer_run(&heap, 10), 1);
	assert_int_equal(self_runs, 1);
	assert_int_equal(tpa_timer_next(&heap), 20);
	assert_int_equal(tpa_timer_run(&heap, 100), 1);	/* 20 fires, re-arms at 110 */
	assert_int_equal(self_runs, 2);
	assert_int_equal(tpa_timer_run(&heap, 110), 1);
	assert_int_equal(self_runs, 3);
	assert_int_equal(heap.nr, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fires_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rearm_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_cancel_keeps_heap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_rearms_itself, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
