// The rod is split into 20 segments of 5 cm; the log-odds of gold follow a random walk from segment to segment,
// so gold runs in stretches. Test errors are not modelled separately.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int S = 20;
  array[num_train] int seg_train;
  array[num_test] int seg_test;
  for (n in 1:num_train) seg_train[n] = min(S, 1 + to_int(floor(train_locs[n] * S / rod_length)));
  for (j in 1:num_test) seg_test[j] = min(S, 1 + to_int(floor(test_locs[j] * S / rod_length)));
}
parameters {
  vector[S] z;
  real<lower=0> sigma;
}
model {
  sigma ~ normal(0, 1) T[0, ];
  z[1] ~ normal(0, 2);
  z[2:S] ~ normal(z[1:(S - 1)], sigma);
  gold_train ~ bernoulli_logit(z[seg_train]);
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test = bernoulli_logit_rng(z[seg_test]);
}
