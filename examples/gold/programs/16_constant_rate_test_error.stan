// Baseline: the same unknown fraction of the rod holds gold everywhere, and each test is wrong with a small
// probability; location is not used.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
parameters {
  real<lower=0, upper=1> gold_fraction;
  real<lower=0, upper=1> error_rate;
}
model {
  gold_fraction ~ beta(1, 1);
  error_rate ~ beta(2, 20);
  gold_train ~ bernoulli(gold_fraction * (1 - error_rate) + (1 - gold_fraction) * error_rate);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_rng(gold_fraction);
}
