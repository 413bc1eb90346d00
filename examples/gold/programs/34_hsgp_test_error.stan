// Approximate Gaussian process (Hilbert-space basis functions, 40 sine functions on an extended interval) for the
// log-odds of gold, with a small chance that each test is wrong; cheap for any number of places.
data {
  real rod_length;
  int num_train;
  array[num_train] real train_locs;
  array[num_train] int<lower=0, upper=1> gold_train;
  int num_test;
  array[num_test] real test_locs;
}
transformed data {
  int N = num_train + num_test;
  int M = 40;
  real L = 0.75 * rod_length;
  array[N] real locs = append_array(train_locs, test_locs);
  matrix[N, M] PHI;
  vector[M] omega;
  for (m in 1:M) {
    omega[m] = m * pi() / (2 * L);
    for (n in 1:N) PHI[n, m] = sin(omega[m] * (locs[n] - rod_length / 2 + L)) / sqrt(L);
  }
}
parameters {
  real<lower=0> rho;
  real<lower=0> alpha;
  real mu;
  real<lower=0, upper=1> error_rate;
  vector[M] beta;
}
transformed parameters {
  vector[N] f;
  {
    vector[M] spd_sqrt = alpha * sqrt(sqrt(2 * pi()) * rho * exp(-0.5 * square(rho * omega)));
    f = mu + PHI * (spd_sqrt .* beta);
  }
}
model {
  rho ~ inv_gamma(5, 50);
  alpha ~ normal(0, 3) T[0, ];
  mu ~ normal(0, 1.5);
  error_rate ~ beta(2, 20);
  beta ~ std_normal();
  for (n in 1:num_train)
    gold_train[n] ~ bernoulli(error_rate + (1 - 2 * error_rate) * inv_logit(f[n]));
}
generated quantities {
  array[num_test] int<lower=0, upper=1> gold_test;
  for (j in 1:num_test) gold_test[j] = bernoulli_logit_rng(f[num_train + j]);
}
