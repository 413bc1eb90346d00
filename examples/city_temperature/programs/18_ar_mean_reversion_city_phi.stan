// Mean reversion with city-specific persistence: tomorrow = city mean + phi[c] * (today - city mean) + noise.
// City means pooled around a regional mean; persistences pooled on the logit scale.
data {
  int num_cities;
  int num_days_train;
  int num_days_test;
  array[num_cities, num_days_train] real day1_temp_train;
  array[num_cities, num_days_train] real day2_temp_train;
  array[num_cities, num_days_test] real day1_temp_test;
}
parameters {
  real mu_m;
  real<lower=0> tau_m;
  vector<offset=mu_m, multiplier=tau_m>[num_cities] m;
  real mu_logit_phi;
  real<lower=0> tau_logit_phi;
  vector<offset=mu_logit_phi, multiplier=tau_logit_phi>[num_cities] logit_phi;
  real<lower=0> sigma;
}
transformed parameters {
  vector[num_cities] phi = inv_logit(logit_phi);
}
model {
  mu_m ~ normal(70, 15);
  tau_m ~ normal(0, 10) T[0, ];
  m ~ normal(mu_m, tau_m);
  mu_logit_phi ~ normal(1, 1.5);
  tau_logit_phi ~ normal(0, 1) T[0, ];
  logit_phi ~ normal(mu_logit_phi, tau_logit_phi);
  sigma ~ normal(0, 10) T[0, ];
  for (c in 1:num_cities) {
    for (d in 1:num_days_train) {
      day2_temp_train[c, d] ~ normal(m[c] + phi[c] * (day1_temp_train[c, d] - m[c]), sigma);
    }
  }
}
generated quantities {
  array[num_cities, num_days_test] real day2_temp_test;
  for (c in 1:num_cities) {
    for (d in 1:num_days_test) {
      day2_temp_test[c, d] = normal_rng(m[c] + phi[c] * (day1_temp_test[c, d] - m[c]), sigma);
    }
  }
}
